"""The service tier: domain services in-process against real PostgreSQL (pytest-django makes a test
database on the server `devtools.services run --postgres` starts), with no gunicorn and no Celery worker.

Services hand work to the hosts with `transaction.on_commit` -> `app.send_task`. The `enqueued` fixture
records those sends instead of publishing them: that observes the services' output (which task, on which
queue, with what) and mocks nothing the tests are about (the rules and the SQL that enforces them)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.utils import timezone

from compute_platform.compute.context import RequestContext
from compute_platform.compute.models import Flavor, Host, Instance
from compute_platform.identity.models import Project
from compute_platform.images.models import Image
from compute_platform.compute.states import VmState


@pytest.fixture(scope="session", autouse=True)
def _postgresql(django_db_blocker):
    """Row locks and conditional UPDATEs under concurrency are what this tier tests: SQLite would not do."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.fail("service tests need DATABASE_URL=postgres... (run them through `make test`, which "
                        "starts PostgreSQL)", pytrace=False)


@dataclass(frozen=True)
class Sent:
    name: str
    queue: str
    kwargs: dict


@pytest.fixture(autouse=True)
def _holders_forgotten():
    """A test's database rows go after it; so must what this process believes its hosts hold (network_push)."""
    from tasks import network_push

    network_push._HOLDING.clear()
    yield
    network_push._HOLDING.clear()


@pytest.fixture
def enqueued(monkeypatch) -> list[Sent]:
    """Every task a service enqueued after its transaction committed, in order."""
    from compute_platform.celery import app

    sent: list[Sent] = []
    lock = threading.Lock()

    def record(name, args=None, kwargs=None, queue=None, **options):
        with lock:
            sent.append(Sent(name, queue, kwargs or {}))

    monkeypatch.setattr(app, "send_task", record)
    return sent


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service call as if its transaction committed: in a rolled-back test transaction the
    on-commit callbacks (the enqueues) would otherwise never run."""
    def call(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return call


class World:
    """Rows a test needs, made through the ORM: a project with a member, a flavor, compute hosts."""

    def __init__(self) -> None:
        self.project = Project.objects.create(name="proj")
        self.user = get_user_model().objects.create(username="member")  # no password: hashing one costs seconds
        self.flavor = Flavor.objects.create(flavorid="1", name="m1.tiny", vcpus=1, memory_mb=512, root_gb=1)
        # Servers boot from an image here: one without is volume-backed (rescue refuses those, as Nova's).
        self.image = Image.objects.create(name="cirros", status="active")

    def context(self, **kw) -> RequestContext:
        return RequestContext(user_id=self.user.pk, project_id=self.project.pk, roles=("member",), **kw)

    def host(self, name: str, *, vcpus: int = 16, memory_mb: int = 8192, disk_gb: int = 100, **kw) -> Host:
        # Ratios of 1: the capacity the test states is the capacity the scheduler sees.
        return Host.objects.create(**{"name": name, "vcpus": vcpus, "memory_mb": memory_mb, "disk_gb": disk_gb,
                                      "cpu_allocation_ratio": 1.0, "ram_allocation_ratio": 1.0,
                                      "disk_allocation_ratio": 1.0, "last_heartbeat": timezone.now()} | kw)

    def instance(self, *, host: Host | None, vm_state: str = VmState.ACTIVE, task_state: str | None = None,
                 name: str = "vm") -> Instance:
        f = self.flavor
        return Instance.objects.create(name=name, project=self.project, user=self.user, flavor=f, host=host,
                                       image=self.image,
                                       vcpus=f.vcpus, memory_mb=f.memory_mb, root_gb=f.root_gb,
                                       vm_state=vm_state, task_state=task_state,
                                       resources_claimed=host is not None)


@pytest.fixture
def world(db) -> World:
    return World()


@pytest.fixture
def world_committed(transactional_db) -> World:
    """The same rows, committed, for tests whose threads each open their own connection."""
    return World()


def concurrently(fn: Callable[[int], object], n: int) -> list:
    """Call fn(0..n-1) from n threads released together; returns each result or the exception it raised.
    Each thread has its own database connection, closed when it is done."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait(timeout=30)
        try:
            return fn(i)
        except Exception as exc:  # the test decides which failures are the expected ones
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))
