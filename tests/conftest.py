"""Fixtures every tier that starts stacks shares (integration, system): the throwaway PostgreSQL and Redis
`make test` provides, and one migrated template database per run, cloned per stack (a migration costs tens of
seconds on busy cores: the system tier clones the same one instead of migrating its own).

Under pytest-xdist (`make test` runs the tiers on parallel workers) each worker gets a Redis of its own and the
tests are grouped so that nothing sharing one machine-wide thing runs on two workers at once: see
tests/parallel.py."""
import fcntl
import os

import pytest

from devtools.services import RUN_DIR, Redis
from tests.integration.stack import make_template
from tests.parallel import make_scheduler, order_for_workers


def _require(var: str, scheme: str) -> str:
    value = os.environ.get(var, "")
    if not value.startswith(scheme):
        pytest.fail(f"tests with a live stack need {var}={scheme}... (run them through `make test`, which starts "
                    f"PostgreSQL and Redis)", pytrace=False)
    return value


@pytest.fixture(scope="session")
def pg_url():
    return _require("DATABASE_URL", "postgres")


@pytest.fixture(scope="session")
def redis_url(request):
    url = _require("REDIS_URL", "redis")
    if not hasattr(request.config, "workerinput"):
        yield url
        return
    # An xdist worker: stacks number their Redis databases per process (stack.new_stack), so two workers on
    # the run's Redis would share and flush each other's. A private server starts in about 0.1 s.
    with Redis(RUN_DIR) as own:
        yield own.url


@pytest.fixture(scope="session")
def template_db(pg_url, tmp_path_factory, request):
    if not hasattr(request.config, "workerinput"):
        return make_template(pg_url, tmp_path_factory.mktemp("template"))
    # xdist workers share one: the first to get here migrates it while the others wait on the lock. The lock
    # and the mark of a finished migration live in the run's base temporary directory, which every worker's
    # own (popen-gwN) is in.
    run_dir = tmp_path_factory.getbasetemp().parent
    name = f"tmpl_{request.config.workerinput['testrunuid'][:16]}"
    with open(run_dir / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (run_dir / f"{name}.migrated").exists():
            make_template(pg_url, tmp_path_factory.mktemp("template"), name=name)
            (run_dir / f"{name}.migrated").touch()
    return name


def pytest_collection_modifyitems(config, items):
    if hasattr(config, "workerinput"):
        order_for_workers(items)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: only called when it runs the tests
def pytest_xdist_make_scheduler(config, log):
    return make_scheduler(config, log)
