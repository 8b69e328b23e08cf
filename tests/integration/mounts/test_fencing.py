"""The fenced lock: a holder whose lease ran out cannot change the export's state after a newer holder."""
from __future__ import annotations

import time
import uuid

import pytest

from hypervisors.volumes import LockLost, LockTimeout
from hypervisors.volumes.fencing import FencedLock


def _lock(rclient, name, ttl=0.3, wait=5.0):
    return FencedLock(rclient, lock_key=f"{name}:lock", fence_key=f"{name}:fence",
                      attachments_key=f"{name}:attachments", pending_key=f"{name}:pending",
                      ttl=ttl, wait=wait)


def test_every_acquire_bumps_the_fence(rclient):
    name = f"t-{uuid.uuid4().hex}"
    fences = []
    for _ in range(3):
        with _lock(rclient, name) as lock:
            fences.append(lock.fence)
            lock.update("add", "k")
    assert fences == sorted(fences) and len(set(fences)) == 3


def test_stalled_holder_cannot_write_after_a_newer_holder(rclient):
    name = f"t-{uuid.uuid4().hex}"
    stale = _lock(rclient, name, ttl=0.3)
    stale.__enter__()
    stale.stall()  # a stalled process: its renewal stops, as in a GC pause or SIGSTOP
    deadline = time.monotonic() + 5.0
    while rclient.exists(f"{name}:lock"):  # until the lease expires
        assert time.monotonic() < deadline, "the stalled holder's lease never expired"
        time.sleep(0.01)
    with _lock(rclient, name) as newer:
        newer.update("add", "new")
        assert newer.fence > stale.fence
        with pytest.raises(LockLost):
            stale.update("remove", "new")
    with pytest.raises(LockLost):
        stale.update("add", "late")  # nobody holds it now, and still the stale fence is refused
    assert rclient.smembers(f"{name}:attachments") == {b"new"}
    stale.__exit__(None, None, None)  # release of an expired lock does not delete another's


def test_renewal_keeps_a_long_holder(rclient):
    name = f"t-{uuid.uuid4().hex}"
    with _lock(rclient, name, ttl=0.3) as lock:
        held_since = time.monotonic()
        while time.monotonic() - held_since < 1.0:  # three lease lengths: still ours all along
            assert rclient.get(f"{name}:lock") == lock.token.encode(), "the lease lapsed while held"
            time.sleep(0.01)
        assert lock.update("add", "k") == 1 and not lock.lost
        with pytest.raises(LockTimeout):
            with _lock(rclient, name, wait=0.2):
                pass
