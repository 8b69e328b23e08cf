"""`make run`'s supervision (devtools/supervisor.py), on real processes: a child SIGKILLed is restarted after
its backoff while the others keep their pids; the embedded Redis comes back on its port; stop ends all."""
import os
import signal
import sys
import time

import pytest

from devtools import supervisor
from devtools.services import Redis, redis_ping
from devtools.supervisor import Child, RedisChild, backoff, stop_all, supervise

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(600)"]


def _until(predicate, timeout=30.0, what="condition", children=()):
    """Poll with a deadline, running a supervision pass each time, as run_stack's main loop does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervise(list(children))
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone for our purposes
        return f.read().split(") ")[1][0] != "Z"


@pytest.fixture
def children(tmp_path, monkeypatch):
    monkeypatch.setattr(supervisor, "BACKOFF_FIRST", 0.2)  # the policy, scaled down to test time
    started = []
    yield started, (lambda name, cmd=SLEEPER: started.append(
        Child(name, cmd, dict(os.environ), cwd=tmp_path, log_dir=tmp_path)) or started[-1])
    stop_all(started)


def test_backoff_doubles_from_the_first_delay_up_to_the_cap():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff(30) == supervisor.BACKOFF_MAX


def test_a_killed_child_is_restarted_and_the_others_are_untouched(children, tmp_path):
    started, start = children
    worker, api, beat = start("worker node1"), start("api"), start("beat")
    _until(lambda: all(len(c.lines) for c in started), what="every child's first line")
    pids = {c.name: c.proc.pid for c in started}

    os.killpg(worker.proc.pid, signal.SIGKILL)
    _until(lambda: worker.restarts == 1 and worker.running(), what="the worker restarted", children=started)
    assert worker.proc.pid != pids["worker node1"]
    assert (api.proc.pid, beat.proc.pid) == (pids["api"], pids["beat"]) and api.running() and beat.running()
    _until(lambda: worker.lines.count("up") == 2, what="the new worker's output", children=started)
    assert (tmp_path / "worker-node1.log").read_text() == "up\nup\n"  # both lives in one log

    # Dying again soon after: the next restart waits twice as long.
    os.killpg(worker.proc.pid, signal.SIGKILL)
    _until(lambda: worker.restart_at is not None, what="the second death seen", children=started)
    assert worker.failures == 2
    assert worker.restart_at - time.monotonic() == pytest.approx(2 * supervisor.BACKOFF_FIRST, abs=0.15)
    _until(lambda: worker.restarts == 2 and worker.running(), what="the second restart", children=started)

    pids = [c.proc.pid for c in started]
    stop_all(started)
    assert not any(map(_alive, pids))
    supervise(started)  # stopped children are not brought back
    assert not any(c.running() for c in started)


def test_a_child_that_cannot_even_be_restarted_is_retried_later(children, tmp_path):
    started, start = children
    worker = start("worker node1")
    worker.cmd = [str(tmp_path / "gone")]  # e.g. the venv was removed meanwhile
    os.killpg(worker.proc.pid, signal.SIGKILL)
    _until(lambda: worker.failures == 2, what="the failed restart seen", children=started)
    assert not worker.running() and worker.restart_at is not None  # scheduled again, not raised
    worker.cmd = SLEEPER
    _until(worker.running, what="the later restart", children=started)


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(children, monkeypatch):
    monkeypatch.setattr(supervisor, "STOP_GRACE", 0.5)
    started, start = children
    stubborn = start("stubborn", [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
                                  "signal.SIG_IGN); print('up', flush=True); time.sleep(600)"])
    _until(lambda: stubborn.lines, what="the child's first line")
    stop_all(started)
    assert not _alive(stubborn.proc.pid)


def test_the_embedded_redis_is_restarted_on_its_port(tmp_path, monkeypatch):
    monkeypatch.setattr(supervisor, "BACKOFF_FIRST", 0.2)
    redis = Redis(tmp_path).start()
    child = RedisChild("redis", redis)
    try:
        first = redis.proc.pid
        os.kill(first, signal.SIGKILL)
        _until(lambda: child.restarts == 1, what="redis restarted", children=[child])
        assert redis.proc.pid != first and child.proc is redis.proc and redis_ping(redis.port)
    finally:
        stop_all([child])
        redis.stop()
