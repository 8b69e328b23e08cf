"""Deterministic interleavings of the MountManager, with real Redis and real bind mounts.

Each test holds a real `mount` or `umount` process at a gate to force one order of events, then checks
the invariants: an export with a recorded attachment is mounted; an export nobody needs is not; never
two mounts stacked on one mount point; nothing recorded for a failed operation.
"""
from __future__ import annotations

import os
import time

import pytest

from hypervisors.volumes import DetachOutcome, MountFailed, MountTimedOut, mountinfo

from .conftest import in_thread


def test_attach_waits_while_another_attach_mounts(host):
    exp = host.export()
    a, b = host.manager(), host.manager()  # two worker processes of one host
    host.mount_gate.hold()
    first = in_thread(a.attach, exp, "v1:i1")
    host.mount_gate.wait_waiting()  # first is inside `mount`, holding the export's lock
    second = in_thread(b.attach, exp, "v2:i2")
    b.redis.wait_refused()  # the second attach asked for the export's lock and was told to wait
    assert second.is_alive(), "the second attach must wait for the lock, not mount beside the first"
    assert a.status(exp).lock_holder is not None and a.attachments(exp) == set()
    host.mount_gate.release()
    mp = first()
    assert second() == mp
    assert host.mount_gate.calls == 1, "the second attach found it mounted and did not mount again"
    assert host.mounts(exp) == 1
    assert a.attachments(exp) == {"v1:i1", "v2:i2"}
    with open(os.path.join(mp, "marker")) as f:
        assert f.read() == "export0", "the mount point shows the export's files"


def test_unmount_racing_a_new_attach_ends_with_one_mount(host):
    exp = host.export()
    a, b = host.manager(), host.manager()
    a.attach(exp, "v1:i1")
    host.umount_gate.hold()
    detaching = in_thread(a.detach, exp, "v1:i1")
    host.umount_gate.wait_waiting()  # the last detach is unmounting
    attaching = in_thread(b.attach, exp, "v2:i2")
    b.redis.wait_refused()
    assert attaching.is_alive() and b.attachments(exp) == set()
    host.umount_gate.release()
    assert detaching() is DetachOutcome.UNMOUNTED
    attaching()
    assert host.mounts(exp) == 1, "the attach that waited must mount again, exactly once"
    assert b.attachments(exp) == {"v2:i2"}
    assert host.mount_gate.calls == 2


def test_failing_mount_records_nothing(host):
    exp = host.export()
    mgr = host.manager()
    host.mount_gate.fail_once()
    with pytest.raises(MountFailed, match="injected failure"):
        mgr.attach(exp, "v1:i1")
    status = mgr.status(exp)
    assert status.attachments == () and not status.mounted and status.lock_holder is None
    mgr.attach(exp, "v1:i1")
    assert host.mounts(exp) == 1 and mgr.attachments(exp) == {"v1:i1"}


def test_held_mount_that_fails_leaves_waiter_to_mount(host):
    exp = host.export()
    a, b = host.manager(), host.manager()
    host.mount_gate.hold(then_fail=True)
    first = in_thread(a.attach, exp, "v1:i1")
    host.mount_gate.wait_waiting()
    waiter = in_thread(b.attach, exp, "v2:i2")
    b.redis.wait_refused()
    assert waiter.is_alive()
    host.mount_gate.release()
    with pytest.raises(MountFailed, match="server not responding"):
        first()
    waiter()
    assert a.attachments(exp) == {"v2:i2"}, "the failed attach recorded nothing"
    assert host.mounts(exp) == 1


def test_attach_twice_then_detach_once_unmounts(host):
    exp = host.export()
    mgr = host.manager()
    mgr.attach(exp, "v1:i1")
    mgr.attach(exp, "v1:i1")  # a redelivered task
    assert mgr.attachments(exp) == {"v1:i1"}
    assert mgr.detach(exp, "v1:i1") is DetachOutcome.UNMOUNTED
    assert host.mounts(exp) == 0 and mgr.attachments(exp) == set()


def test_detach_of_unknown_attachment(host):
    exp = host.export()
    mgr = host.manager()
    assert mgr.detach(exp, "nobody:nowhere") is DetachOutcome.NOT_MOUNTED
    mgr.attach(exp, "v1:i1")
    assert mgr.detach(exp, "nobody:nowhere") is DetachOutcome.STILL_NEEDED
    assert host.mounts(exp) == 1 and mgr.attachments(exp) == {"v1:i1"}


def test_busy_unmount_is_left_for_the_audit(host):
    exp = host.export()
    mgr = host.manager()
    mp = mgr.attach(exp, "v1:i1")
    with open(os.path.join(mp, "marker")) as busy:
        assert mgr.detach(exp, "v1:i1") is DetachOutcome.BUSY  # never raises for busy
        status = mgr.status(exp)
        assert status.mounted and status.attachments == () and status.pending_unmount == "target is busy"
        report = mgr.audit(host.exports)
        assert report.busy == [exp.id] and host.mounts(exp) == 1
        assert busy.read() == "export0"
    report = mgr.audit(host.exports)
    assert report.unmounted == [exp.id]
    assert host.mounts(exp) == 0 and mgr.status(exp).pending_unmount is None


def test_new_attach_clears_a_pending_unmount(host):
    exp = host.export()
    mgr = host.manager()
    mp = mgr.attach(exp, "v1:i1")
    with open(os.path.join(mp, "marker")):
        mgr.detach(exp, "v1:i1")
    mgr.attach(exp, "v2:i2")
    status = mgr.status(exp)
    assert status.pending_unmount is None and status.mounted and status.attachments == ("v2:i2",)
    assert mgr.audit(host.exports).unmounted == [], "the audit must not unmount an export in use again"
    assert host.mounts(exp) == 1


def test_rebuild_unmounts_unreferenced_and_mounts_referenced(host):
    needed_exp, idle_exp, lost_exp = host.export(), host.export(), host.export()
    mgr = host.manager()
    mgr.attach(idle_exp, "old:gone")  # mounted, but the database no longer references it
    mgr.attach(lost_exp, "v9:i9")
    os.system(f"umount {mgr.mountpoint(lost_exp)}")  # referenced, but the mount vanished (host reboot)
    stray = host.base / "0123456789abcdef0123456789abcdef"
    stray.mkdir(parents=True)
    (host.tmp / "deleted-export").mkdir()
    os.system(f"mount --bind {host.tmp / 'deleted-export'} {stray}")  # a mount of an export nobody knows any more
    report = mgr.rebuild(host.exports, {needed_exp.id: {"v1:i1"}, lost_exp.id: {"v9:i9"}})
    assert sorted(report.mounted) == sorted([needed_exp.id, lost_exp.id])
    assert report.unmounted == [idle_exp.id]
    assert report.stray_unmounted == [str(stray)]
    assert (host.mounts(needed_exp), host.mounts(idle_exp), host.mounts(lost_exp)) == (1, 0, 1)
    assert mgr.attachments(idle_exp) == set() and mgr.attachments(needed_exp) == {"v1:i1"}
    assert not mountinfo.is_mounted(str(stray))


def test_audit_heals_missing_keys_and_prunes_only_what_a_fresh_truth_confirms_stale(host):
    exp = host.export()
    mgr = host.manager()
    host.db[exp.id] = {"v1:i1"}
    mgr.attach(exp, "v1:i1")
    # The snapshot says v2 and not v1; the fresh truth (read under the lock) still names v1: an op in flight.
    report = mgr.audit(host.exports, expected={exp.id: {"v2:i2"}})
    assert report.stale_keys == {exp.id: ["v1:i1"]} and report.missing_keys == {exp.id: ["v2:i2"]}
    assert report.pruned_keys == {}
    assert mgr.attachments(exp) == {"v1:i1", "v2:i2"} and host.mounts(exp) == 1
    host.db[exp.id] = {"v2:i2"}  # v1's detach finished in the database
    report = mgr.audit()
    assert report.pruned_keys == {exp.id: ["v1:i1"]}
    assert mgr.attachments(exp) == {"v2:i2"} and host.mounts(exp) == 1


def test_audit_never_unmounts_what_the_database_needs_and_remounts_it(host):
    """The fault-injection bug: Redis's set is empty (lost), the database names two attachments; the audit
    must add them back and keep (or make) the export mounted, not unmount it."""
    exp = host.export()
    mgr = host.manager()
    host.db[exp.id] = {"v1:i1", "v2:i2"}
    mgr.attach(exp, "v1:i1")
    mgr.attach(exp, "v2:i2")
    host.rclient.delete(mgr.state_keys(exp)["attachments"])  # the copy lost, the generation still there
    report = mgr.audit()
    assert report.unmounted == [] and report.missing_keys == {exp.id: ["v1:i1", "v2:i2"]}
    assert mgr.attachments(exp) == {"v1:i1", "v2:i2"} and host.mounts(exp) == 1
    os.system(f"umount {mgr.mountpoint(exp)}")
    host.rclient.delete(mgr.state_keys(exp)["attachments"])
    report = mgr.audit()
    assert report.mounted == [exp.id] and host.mounts(exp) == 1
    assert mgr.attachments(exp) == {"v1:i1", "v2:i2"}


def test_two_exports_never_wait_on_each_other(host):
    slow, fast = host.export(), host.export()
    a = host.manager()
    host.mount_gate.hold()
    held = in_thread(a.attach, slow, "v1:i1")
    host.mount_gate.wait_waiting()
    # The gate would hold every mount; the second process of the host mounts with the plain binary.
    b = host.manager(mount_binary="mount")
    b.attach(fast, "v2:i2")
    assert not b.redis.refused.is_set(), "the other export's lock must not have made it wait"
    assert host.mounts(fast) == 1 and held.is_alive()
    host.mount_gate.release()
    held()
    assert host.mounts(slow) == 1


def test_hung_mount_is_killed_and_fails_cleanly(host):
    exp = host.export()
    mgr = host.manager(mount_timeout=0.5)
    host.mount_gate.hold()
    started = time.monotonic()
    with pytest.raises(MountTimedOut):
        mgr.attach(exp, "v1:i1")
    assert time.monotonic() - started < 5.0
    host.mount_gate.release()
    status = mgr.status(exp)
    assert status.attachments == () and not status.mounted and status.lock_holder is None
    host.manager(mount_binary="mount").attach(exp, "v1:i1")  # the lock was released: next one works
    assert host.mounts(exp) == 1


def test_warm_attach_and_detach_take_no_lock(host):
    exp = host.export()
    mgr = host.manager()
    mgr.attach(exp, "anchor:i0")
    fence = mgr.status(exp).fencing_token
    for n in range(5):
        mgr.attach(exp, f"v{n}:i{n}")
        assert mgr.detach(exp, f"v{n}:i{n}") is DetachOutcome.STILL_NEEDED
    assert mgr.status(exp).fencing_token == fence, "a warm pair must not have acquired the lock"
    assert mgr.attachments(exp) == {"anchor:i0"} and host.mounts(exp) == 1


def test_warm_path_waits_while_the_lock_is_held(host):
    exp = host.export()
    mgr = host.manager()
    mgr.attach(exp, "anchor:i0")
    with mgr._lock(exp):  # a holder in the middle of something (a rebuild replacing the set, say)
        warm = in_thread(mgr.attach, exp, "v1:i1")
        mgr.redis.wait_refused()
        assert warm.is_alive() and mgr.attachments(exp) == {"anchor:i0"}
    warm()
    assert mgr.attachments(exp) == {"anchor:i0", "v1:i1"}
