"""Redis holds a copy of who needs an export, never the truth: when it loses the host's state (restarted
empty), nothing acts on the empty copy; the state is rebuilt from the truth first. Real Redis, real bind
mounts; "Redis restarted empty" is every key of the host dropped, which is what the managers see."""
from __future__ import annotations

import threading

import pytest

from hypervisors.volumes import DetachOutcome, LockLost, StateLost

from .conftest import in_thread


def lose_state(host) -> None:
    """What a Redis restarted without persistence holds for this host: nothing."""
    for key in host.rclient.scan_iter(f"mount:{{{host.name}}}:*"):
        host.rclient.delete(key)


def two_attached(host):
    exp = host.export()
    mgr = host.manager()
    host.db[exp.id] = {"v1:i1", "v2:i2"}  # the rows come first, as the tasks write them
    mgr.attach(exp, "v1:i1")
    mgr.attach(exp, "v2:i2")
    return exp, mgr


def test_a_new_host_starts_with_a_rebuild(host):
    exp = host.export()
    mgr = host.manager()
    assert not mgr.has_state()
    mgr.attach(exp, "v1:i1")
    assert mgr.has_state() and host.truth_reads == 1


def test_detach_after_a_lost_state_keeps_the_export_for_the_other_attachment(host):
    exp, mgr = two_attached(host)
    lose_state(host)
    assert mgr.attachments(exp) == set() and host.mounts(exp) == 1
    assert mgr.detach(exp, "v1:i1") is DetachOutcome.STILL_NEEDED
    assert host.mounts(exp) == 1 and mgr.attachments(exp) == {"v2:i2"}, "rebuilt from the truth, then detached"
    host.db[exp.id] = {"v2:i2"}
    assert mgr.detach(exp, "v2:i2") is DetachOutcome.UNMOUNTED
    assert host.mounts(exp) == 0


def test_the_audit_after_a_lost_state_rebuilds_instead_of_unmounting(host):
    exp, mgr = two_attached(host)
    lose_state(host)
    report = mgr.audit()
    assert report.unmounted == [] and host.mounts(exp) == 1
    assert mgr.attachments(exp) == {"v1:i1", "v2:i2"}


def test_the_warm_path_refuses_without_the_generation(host):
    exp, mgr = two_attached(host)
    fence = mgr.status(exp).fencing_token
    host.rclient.delete(mgr.generation_key)  # only the generation gone: the set is still there, untrusted
    host.db[exp.id].add("v3:i3")
    mgr.attach(exp, "v3:i3")  # would be a warm add; must rebuild first
    assert host.truth_reads == 2 and mgr.has_state()
    assert mgr.status(exp).fencing_token > fence, "the rebuild took the export's lock"
    assert mgr.attachments(exp) == {"v1:i1", "v2:i2", "v3:i3"}


def test_many_workers_finding_the_state_lost_rebuild_once(host):
    exp, _ = two_attached(host)
    managers = [host.manager() for _ in range(6)]
    lose_state(host)
    reads_before = host.truth_reads
    start = threading.Barrier(len(managers))

    def detach_unknown(mgr):
        start.wait()
        return mgr.detach(exp, "nobody:nowhere")

    joins = [in_thread(detach_unknown, m) for m in managers]
    assert all(j() is DetachOutcome.STILL_NEEDED for j in joins)
    assert host.truth_reads == reads_before + 1, "one rebuild for the host; the others waited and found it done"
    assert host.mounts(exp) == 1 and managers[0].attachments(exp) == {"v1:i1", "v2:i2"}


def test_an_attach_whose_lock_vanished_mid_mount_neither_stacks_nor_loses_the_mount(host):
    exp = host.export()
    a, b = host.manager(), host.manager()
    b.ensure_state()
    host.db[exp.id] = {"v1:i1"}
    host.mount_gate.hold()
    attaching = in_thread(a.attach, exp, "v1:i1")
    host.mount_gate.wait_waiting()  # inside `mount`, holding the export's Redis lock and its kernel lock
    lose_state(host)  # the Redis lock vanishes with everything else
    rebuilding = in_thread(b.ensure_state)
    host.mount_gate.release()
    rebuilding()
    assert attaching() == a.mountpoint(exp)
    assert host.mounts(exp) == 1, "the rebuild waited for the kernel lock and found it mounted"
    assert a.attachments(exp) == {"v1:i1"}


def test_a_last_detach_whose_state_vanished_before_the_unmount_leaves_it_mounted(host):
    """The last detach decided to unmount; Redis restarts and the rebuild (from a truth in which another
    attachment has appeared meanwhile) runs before the detach reaches umount: the umount must not happen."""
    exp = host.export()
    a, b = host.manager(), host.manager()
    host.db[exp.id] = {"v1:i1"}
    a.attach(exp, "v1:i1")
    host.umount_gate.hold()
    # The kernel lock is taken before the umount binary runs; hold the detach inside its Redis-locked
    # section by losing the state right after it removed its key (the umount gate is its first kernel act).
    detaching = in_thread(a.detach, exp, "v1:i1")
    host.umount_gate.wait_waiting()
    host.db[exp.id] = {"v2:i2"}
    lose_state(host)
    rebuilding = in_thread(b.ensure_state)
    host.umount_gate.release()
    rebuilding()
    detaching()
    assert host.mounts(exp) == 1, "the rebuild, after the unmount it waited for, mounted it again for v2"
    assert b.attachments(exp) == {"v2:i2"}


def test_a_stale_holder_cannot_write_even_when_the_new_fence_equals_its_own(host):
    exp, mgr = two_attached(host)
    stale = mgr._lock(exp).__enter__()
    stale.stall()
    lose_state(host)
    mgr.ensure_state()
    # Redis restarted, so the fence counter restarted too: make the next holder's fence equal the stale one.
    host.rclient.set(mgr.state_keys(exp)["fence"], stale.fence - 1)
    host.rclient.delete(mgr.state_keys(exp)["lock"])  # as if the stale lease had expired
    with mgr._lock(exp) as newer:
        assert newer.fence == stale.fence
        with pytest.raises(LockLost):
            stale.update("replace")
        newer.update("check")
    assert mgr.attachments(exp) == {"v1:i1", "v2:i2"}


def test_redis_restarting_again_mid_rebuild_starts_the_rebuild_over(host):
    exp, mgr = two_attached(host)
    lose_state(host)
    real_truth = host.truth
    calls = []

    def truth_then_lose_again():
        calls.append(1)
        result = real_truth()
        if len(calls) == 1:
            lose_state(host)  # the second restart: the rebuild's marker is gone before it writes a set
        return result

    mgr.truth = truth_then_lose_again
    mgr.audit(host.exports, {exp.id: {"v1:i1", "v2:i2"}})
    assert len(calls) == 2 and mgr.has_state()
    assert mgr.attachments(exp) == {"v1:i1", "v2:i2"} and host.mounts(exp) == 1


def test_without_a_truth_a_lost_state_fails_safe(host):
    exp, mgr = two_attached(host)
    blind = host.manager(truth=None)
    lose_state(host)
    with pytest.raises(StateLost):
        blind.detach(exp, "v1:i1")
    with pytest.raises(StateLost):
        blind.attach(exp, "v3:i3")
    assert host.mounts(exp) == 1, "nothing unmounted on the strength of an empty copy"
