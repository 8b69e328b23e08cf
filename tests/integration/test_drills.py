"""Fault drills: the broker and the database die under load, and nothing is lost, duplicated or left stuck.

Each drill owns its PostgreSQL and Redis (devtools.services), so it can kill and restart them without
touching the session's. The stacks are the real thing: gunicorn, one Celery worker per host, the conductor.
"""
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from compute_platform import tasknames
from devtools.services import Postgres, Redis
from tasks.broker_watch import BROKER_GENERATION_KEY

from .stack import make_template, new_stack

# Builds take a moment on the fake hosts, so that a kill finds some running and some still queued.
SPAWN_DELAY = "spawn=1.5"


@pytest.fixture
def owned(tmp_path_factory):
    """A PostgreSQL and a Redis that this test alone uses, and a stack factory on them."""
    base = tmp_path_factory.mktemp("drill")
    pg, rd = Postgres(base), Redis(base)
    pg.start()
    rd.start()
    stacks = []

    def stack_on_them(hosts, **env):
        template = make_template(pg.url, base / "template", name="drill_template")
        stack = new_stack(base_database_url=pg.url, template=template, redis_base_url=rd.url,
                          workdir=base / f"stack{len(stacks)}", hosts=list(hosts), **env)
        stacks.append(stack)
        stack.wait_ready()
        return stack

    try:
        yield pg, rd, stack_on_them
    finally:
        for stack in stacks:
            stack.stop()
        rd.stop()
        pg.stop()


def _timed_boot(stack, name, image_id):
    t0 = time.monotonic()
    try:
        r = stack.post("/compute/v2.1/servers", json={"server": {"name": name, "imageRef": image_id,
                                                                 "flavorRef": "1"}})
        return r.status_code, (r.json().get("server", {}).get("id") if r.status_code == 202 else r.text), \
            time.monotonic() - t0
    except requests.RequestException as exc:  # a hung request is a failure of the drill: record it
        return None, repr(exc), time.monotonic() - t0


def _build_events(stack, server_id):
    actions = stack.get(f"/compute/v2.1/servers/{server_id}/os-instance-actions").json()["instanceActions"]
    create = next(a for a in actions if a["action"] == "create")
    detail = stack.get(f"/compute/v2.1/servers/{server_id}/os-instance-actions/{create['request_id']}").json()
    return [e["event"] for e in detail["instanceAction"]["events"]]


def _assert_settled_once(stack, server_ids, timeout):
    """Every server ACTIVE, built exactly once, and the hosts' claims equal what the servers use."""
    listed = {s["id"] for s in stack.get("/compute/v2.1/servers?limit=1000").json()["servers"]}
    # A request cut off after its commit (its client saw the error) made a server too: it must settle as well.
    server_ids = sorted(listed | set(server_ids))
    for sid in server_ids:
        stack.wait_status(sid, "ACTIVE", timeout=timeout)
        assert _build_events(stack, sid).count("compute__do_build_and_run_instance") == 1, sid
    hypervisors = stack.get("/compute/v2.1/os-hypervisors/detail").json()["hypervisors"]
    flavor = stack.get("/compute/v2.1/flavors/1").json()["flavor"]
    assert sum(h["vcpus_used"] for h in hypervisors) == flavor["vcpus"] * len(server_ids)
    assert sum(h["memory_mb_used"] for h in hypervisors) == flavor["ram"] * len(server_ids)
    return server_ids


def test_redis_killed_and_restarted_empty_during_boots(owned):
    pg, rd, stack_on_them = owned
    stack = stack_on_them(("drill1", "drill2"), FAKE_DRIVER_DELAYS=SPAWN_DELAY, BROKER_WATCH_INTERVAL=2)
    stack.start_conductor()
    # The conductor's broker watch has marked this broker (the drill is about losing that mark).
    broker = redis.Redis.from_url(stack.redis_url)
    stack.wait_until(lambda: broker.exists(BROKER_GENERATION_KEY), timeout=60, what="the conductor's broker watch")
    broker.close()
    image = stack.image_id()

    # 16 boots against 2 hosts x 4 threads: half are building when Redis dies, half still queued in it.
    with ThreadPoolExecutor(8) as pool:
        first = list(pool.map(lambda i: _timed_boot(stack, f"before-{i}", image), range(16)))
    assert all(code == 202 for code, _, _ in first), first
    rd.kill()

    # While the broker is gone, the API still answers boots quickly: the claim commits and the message waits
    # in the database.
    during = [_timed_boot(stack, f"during-{i}", image) for i in range(3)]
    assert all(code == 202 for code, _, _ in during), during
    assert max(t for _, _, t in during) < 10, during

    rd.start()  # empty: every queued and unacknowledged message is lost
    server_ids = [sid for _, sid, _ in first + during]
    # The conductor's broker watch notices the empty broker and re-sends every build in flight. The deadline is
    # generous (a correctness check, not a speed target): under a load average of 20 the re-sent builds of 19
    # servers once needed more than 90 s.
    assert _assert_settled_once(stack, server_ids, timeout=180) == sorted(server_ids)  # none lost, none twice
    conductor_log = (stack.workdir / "conductor.log").read_text()
    assert "broker has no generation key" in conductor_log
    assert f"dispatch backlog: re-sent {tasknames.BUILD_INSTANCE}" in conductor_log


def test_postgres_restarted_during_boots(owned):
    pg, rd, stack_on_them = owned
    stack = stack_on_them(("pgdrill1", "pgdrill2"), FAKE_DRIVER_DELAYS=SPAWN_DELAY)
    stack.start_conductor()
    image = stack.image_id()

    results = []
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(_timed_boot, stack, f"vm-{i}", image) for i in range(24)]
        # Crash and restart PostgreSQL while those requests and their builds are in flight.
        while sum(f.done() for f in futures) < 6:
            time.sleep(0.05)
        # `fast`: clients are cut off mid-transaction; the throwaway server runs with synchronous_commit=off,
        # so a crash (`immediate`) would also lose acknowledged commits, which a production server does not.
        pg.restart("fast")
        results = [f.result() for f in futures]

    # No request hangs, and none gets a 500: an unreachable database is a 503 in OpenStack's shape.
    assert all(code is not None for code, _, _ in results), results
    assert max(t for _, _, t in results) < 30, results
    assert {code for code, _, _ in results} <= {202, 503}, results
    accepted = [sid for code, sid, _ in results if code == 202]
    assert len(accepted) >= 6, results  # at least those answered before the crash

    # Every accepted build finishes once the database is back: none stuck in BUILD.
    _assert_settled_once(stack, accepted, timeout=90)
    # Connections recover: the platform takes new work as before, from every API and worker process.
    with ThreadPoolExecutor(4) as pool:
        after = list(pool.map(lambda i: _timed_boot(stack, f"after-{i}", image), range(8)))
    assert all(code == 202 for code, _, _ in after), after
    for _, sid, _ in after:
        stack.wait_status(sid, "ACTIVE")


def test_a_build_that_starts_while_postgres_is_down_waits_for_it(owned):
    """A task that starts during an outage opens a new connection before any statement runs (its last one was
    closed as unusable): the connect waits for the database (compute_platform/pg_backend) like a statement does,
    so the build's gate runs once PostgreSQL is back, instead of failing and leaving the server in BUILD."""
    pg, rd, stack_on_them = owned
    stack = stack_on_them(("pgwait1",))
    worker = stack.procs["worker-pgwait1"]
    log = stack.workdir / "worker-pgwait1.log"
    os.killpg(worker.pid, signal.SIGSTOP)  # the build waits in its queue until PostgreSQL is down
    try:
        r = stack.boot("waits")
        assert r.status_code == 202, r.text
        sid = r.json()["server"]["id"]
        pg.halt()
    finally:
        os.killpg(worker.pid, signal.SIGCONT)
    try:
        stack.wait_until(lambda: f"{tasknames.BUILD_INSTANCE}[" in log.read_text(), timeout=30,
                         what="the worker taking the build")
        time.sleep(2)  # the build's first statement finds no database meanwhile
    finally:
        pg.resume()
    stack.wait_status(sid, "ACTIVE", timeout=60)
    assert _build_events(stack, sid).count("compute__do_build_and_run_instance") == 1
    text = log.read_text()
    assert "database unreachable" in text and "raised unexpected" not in text
