"""Fixtures for MountManager tests: real Redis, real bind mounts, in the private mount namespace that
`make test` runs everything in. Nothing here is mocked: the only stand-in is `bind` for `nfs`."""
from __future__ import annotations

import os
import stat
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis

from hypervisors.volumes import ExportRef, MountManager, mountinfo


@pytest.fixture(scope="session", autouse=True)
def _mounts_allowed(private_mount_namespace):
    """Every test here mounts."""


@pytest.fixture
def rclient(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


class LockWatch(redis.Redis):
    """A real Redis client that notes when Redis refused it the lock (someone else held it), so a test can
    see a waiter blocked on the export's lock rather than guess from `sleep(x); assert not done`."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.refused = threading.Event()

    def evalsha(self, sha, numkeys, *keys_and_args):
        result = super().evalsha(sha, numkeys, *keys_and_args)
        # The fenced acquire is the one script keyed (lock, fence[, generation]); it returns nothing when the
        # lock is held.
        if numkeys in (2, 3) and str(keys_and_args[1]).endswith(":fence") and not result:
            self.refused.set()
        return result

    def wait_refused(self, timeout: float = 10.0) -> None:
        assert self.refused.wait(timeout), f"no lock acquire was refused within {timeout} s"


class Gate:
    """A `mount`/`umount` wrapper the test can hold at the door, fail once, or let through.

    The manager runs it as its mount binary; it is a real process running the real command, so the
    interleavings below happen between real processes and real kernel mounts, just in an order the test
    chooses."""

    def __init__(self, root: Path, real: str) -> None:
        self.dir = root / f"gate-{real}"
        self.dir.mkdir()
        self.path = self.dir / real
        self.path.write_text(
            "#!/bin/sh\n"
            f"d={self.dir}\n"
            'echo "$$" >> "$d/calls"\n'
            'if [ -e "$d/fail" ]; then rm -f "$d/fail"; echo "injected failure" >&2; exit 32; fi\n'
            'if [ -e "$d/hold" ]; then touch "$d/waiting"; while [ -e "$d/hold" ]; do sleep 0.01; done; fi\n'
            'if [ -e "$d/fail-after-hold" ]; then rm -f "$d/fail-after-hold"; '
            'echo "server not responding" >&2; exit 32; fi\n'
            f'exec {real} "$@"\n'
        )
        self.path.chmod(self.path.stat().st_mode | stat.S_IEXEC)

    def hold(self, *, then_fail: bool = False) -> None:
        """Calls wait at the gate until release(); with then_fail the first one then fails."""
        if then_fail:
            (self.dir / "fail-after-hold").touch()
        (self.dir / "hold").touch()

    def release(self) -> None:
        (self.dir / "hold").unlink(missing_ok=True)

    def fail_once(self) -> None:
        (self.dir / "fail").touch()

    def wait_waiting(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not (self.dir / "waiting").exists():
            assert time.monotonic() < deadline, f"{self.path} was never called"
            time.sleep(0.005)
        (self.dir / "waiting").unlink()

    @property
    def calls(self) -> int:
        calls = self.dir / "calls"
        return len(calls.read_text().split()) if calls.exists() else 0


class Host:
    """One compute host's view: a manager (more can share its identity, as worker processes do).

    `db` stands for the database's live attachments ({export id: {key}}), the truth a lost Redis state is
    rebuilt from; a test that attaches and then loses Redis's state records its attachments there first,
    as the platform's tasks write their row before they act."""

    def __init__(self, tmp: Path, rclient: redis.Redis) -> None:
        self.tmp = tmp
        self.name = f"h-{uuid.uuid4().hex[:10]}"
        self.rclient = rclient
        self.mount_gate = Gate(tmp, "mount")
        self.umount_gate = Gate(tmp, "umount")
        self.base = tmp / "mnt"
        self.exports: list[ExportRef] = []
        self.managers: list[MountManager] = []
        self.db: dict[str, set[str]] = {}
        self.truth_reads = 0

    def truth(self) -> tuple[list[ExportRef], dict[str, set[str]]]:
        self.truth_reads += 1
        return list(self.exports), {k: set(v) for k, v in self.db.items()}

    def manager(self, **kw) -> MountManager:
        """A manager of this host; its `redis` is a LockWatch on the shared connection pool."""
        watch = LockWatch(connection_pool=self.rclient.connection_pool)
        opts = dict(host=self.name, redis_client=watch, mount_base=str(self.base), lock_ttl=2.0,
                    lock_wait=30.0, mount_timeout=10.0, truth=self.truth, mount_binary=str(self.mount_gate.path),
                    umount_binary=str(self.umount_gate.path)) | kw
        mgr = MountManager(**opts)
        self.managers.append(mgr)
        return mgr

    def export(self) -> ExportRef:
        src = self.tmp / f"export{len(self.exports)}"
        src.mkdir()
        (src / "marker").write_text(src.name)
        exp = ExportRef(id=str(len(self.exports) + 1), share=str(src), fstype="bind")
        self.exports.append(exp)
        return exp

    def mounts(self, export: ExportRef) -> int:
        """How many mounts are stacked on the export's mount point (the answer must be 0 or 1)."""
        return mountinfo.mount_counts()[self.managers[0].mountpoint(export)]

    def cleanup(self) -> None:
        for gate in (self.mount_gate, self.umount_gate):
            gate.release()
        for mp in mountinfo.mounts_under(str(self.base)):
            os.system(f"umount -l {mp} 2>/dev/null")


@pytest.fixture
def host(tmp_path, rclient):
    h = Host(tmp_path, rclient)
    yield h
    h.cleanup()


def in_thread(fn, *args, **kw):
    """Run fn in a thread; returns a join() that gives its result or re-raises its exception."""
    box: dict = {}

    def run():
        try:
            box["result"] = fn(*args, **kw)
        except BaseException as exc:  # handed to the test thread
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()

    def join(timeout: float = 30.0):
        t.join(timeout)
        assert not t.is_alive(), f"{fn.__name__} did not finish in {timeout} s"
        if "error" in box:
            raise box["error"]
        return box.get("result")

    join.is_alive = t.is_alive
    return join
