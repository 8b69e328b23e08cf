"""Rebuild and shelve with volumes on shared exports (real bind mounts, in the private mount namespace), and
each moves-A task_state's recovery rule after a SIGKILL of the host's worker."""
import pytest

from hypervisors.volumes import mountinfo

from .test_recovery import _events
from .test_volumes_api import Volumes, _mounts_allowed, vols  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration


def _event_running(stack, sid, action, event):
    return any(e["event"] == event and e["finish_time"] is None for e in _events(stack, sid, action)["events"])


def test_volumes_stay_mounted_through_rebuild_and_follow_a_shelved_server(vols):
    v: Volumes = vols(hosts=("s1", "s2"), stack_env={"SHELVED_OFFLOAD_TIME": -1}, FAKE_DRIVER_DELAYS="spawn=0.5")
    export, _ = v.export()
    vid = v.create()
    v.wait(vid, "available")
    sid = v.boot_on("s1", "keeper")
    assert v.attach(sid, vid).status_code == 200
    v.wait(vid, "in-use")
    mountpoint = v.mounts("s1", export["id"])["mountpoint"]

    # Rebuild: the export stays mounted the whole time, and the new guest has the volume again.
    assert v.stack.action(sid, {"rebuild": {"imageRef": v.stack.image_id()}}).status_code == 202
    seen = []
    v.stack.wait_until(lambda: seen.append(mountinfo.is_mounted(mountpoint))
                       or v.stack.server(sid)["status"] == "ACTIVE", interval=0.02, what="rebuilt")
    assert len(seen) > 3 and all(seen), seen
    assert [c.volume_id for c in v.driver("s1").list_volume_attachments(sid)] == [vid]

    # Shelve (never offloaded by itself here): the guest stays, powered off, its mount held.
    assert v.stack.action(sid, {"shelve": None}).status_code == 202
    v.stack.wait_status(sid, "SHELVED")
    assert v.driver("s1").get_info(sid).power_state == 4
    assert v.mounts("s1", export["id"])["attachments"] == [f"{vid}:{sid}"]

    # Offload: the guest leaves s1, then s1 releases the export (its last user: unmounted).
    assert v.stack.action(sid, {"shelveOffload": None}).status_code == 202
    v.stack.wait_status(sid, "SHELVED_OFFLOADED")
    assert sid not in v.driver("s1").list_instances()
    m = v.mounts("s1", export["id"])
    assert m["attachments"] == [] and not m["mounted"] and not mountinfo.is_mounted(mountpoint)
    assert v.get(vid)["status"] == "in-use"  # still the server's volume

    # Unshelve onto s2 (s1 disabled): s2 mounts the export and the new guest has the volume.
    assert v.stack.request("PUT", "/compute/v2.1/os-services/disable",
                           json={"host": "s1", "binary": "nova-compute"}).status_code == 200
    assert v.stack.action(sid, {"unshelve": None}).status_code == 202
    server = v.stack.wait_status(sid, "ACTIVE")
    assert server["OS-EXT-SRV-ATTR:host"] == "s2"
    m2 = v.mounts("s2", export["id"])
    assert m2["mounted"] and m2["attachments"] == [f"{vid}:{sid}"]
    assert [(c.volume_id, c.path.startswith(m2["mountpoint"])) for c in v.driver("s2").list_volume_attachments(sid)] \
        == [(vid, True)]
    assert [a["host_name"] for a in v.get(vid)["attachments"]] == ["s2"]

    # The volume detaches from its new host and the export goes away there too.
    assert v.detach(sid, vid).status_code == 202
    v.wait(vid, "available")
    assert not v.mounts("s2", export["id"])["mounted"]


def test_a_killed_worker_recovers_each_task_state_by_its_rule(make_stack):
    stack = make_stack(hosts=("k1",), start_workers=False)
    stack.start_worker("k1", FAKE_DRIVER_DELAYS="snapshot=30")
    stack.wait_ready()
    base_image = stack.image_id()
    sid = stack.boot(name="victim").json()["server"]["id"]
    stack.wait_status(sid, "ACTIVE")

    # image_snapshot -> cleared, the image killed (Nova's init_host).
    r = stack.action(sid, {"createImage": {"name": "half"}})
    image_id = r.headers["Location"].rsplit("/", 1)[-1]
    stack.wait_until(lambda: _event_running(stack, sid, "createImage", "compute_snapshot_instance"), what="snapshot")
    stack.kill_worker("k1")
    stack.start_worker("k1", FAKE_DRIVER_DELAYS="destroy=30")
    stack.wait_status(sid, "ACTIVE")
    assert stack.get(f"/image/v2/images/{image_id}").json()["status"] == "killed"
    assert _events(stack, sid, "createImage")["message"] == "Error"

    # rebuilding -> ERROR with a fault (Nova's init_host); a rebuild from ERROR then repairs it.
    assert stack.action(sid, {"rebuild": {"imageRef": base_image}}).status_code == 202
    stack.wait_until(lambda: _event_running(stack, sid, "rebuild", "compute_rebuild_instance"), what="rebuild")
    stack.kill_worker("k1")
    stack.start_worker("k1", FAKE_DRIVER_DELAYS="snapshot=30")
    server = stack.wait_status(sid, "ERROR")
    assert "interrupted by a restart of the compute worker on k1" in server["fault"]["message"]
    assert stack.action(sid, {"rebuild": {"imageRef": base_image}}).status_code == 202
    stack.wait_status(sid, "ACTIVE")

    # shelving -> done again: snapshot, then offloaded (shelved_offload_time 0), claim released.
    assert stack.action(sid, {"shelve": None}).status_code == 202
    stack.wait_until(lambda: _event_running(stack, sid, "shelve", "compute_shelve_instance"), what="shelve")
    stack.kill_worker("k1")
    stack.start_worker("k1")
    stack.wait_status(sid, "SHELVED_OFFLOADED", timeout=60)
    stats = stack.get("/compute/v2.1/os-hypervisors/statistics").json()["hypervisor_statistics"]
    assert stats["memory_mb_used"] == 0 and stats["running_vms"] == 0
    shelved = stack.get("/image/v2/images", params={"name": "victim-shelved"}).json()["images"]
    assert [i["status"] for i in shelved] == ["active"]
    assert stack.action(sid, {"unshelve": None}).status_code == 202
    stack.wait_status(sid, "ACTIVE")


def test_a_killed_worker_redoes_unshelving_rescuing_and_unrescuing(make_stack):
    """SIGKILL while the driver is inside unshelve's spawn, rescue and unrescue: each task_state is done again by
    the restarted worker (its rule: REDO), and the action it belongs to finishes."""
    from .test_recovery import _driver

    stack = make_stack(hosts=("k2",), start_workers=False, SHELVED_OFFLOAD_TIME=0)
    stack.start_worker("k2")
    stack.wait_ready()
    sid = stack.boot(name="victim2").json()["server"]["id"]
    stack.wait_status(sid, "ACTIVE")
    assert stack.action(sid, {"shelve": None}).status_code == 202
    stack.wait_status(sid, "SHELVED_OFFLOADED", timeout=60)

    steps = [  # (action body, action name, its event, the driver call a delay holds, status after the redo)
        ({"unshelve": None}, "unshelve", "compute_unshelve_instance", "spawn", "ACTIVE"),
        ({"rescue": {}}, "rescue", "compute_rescue_instance", "rescue", "RESCUE"),
        ({"unrescue": None}, "unrescue", "compute_unrescue_instance", "unrescue", "ACTIVE"),
    ]
    stack.kill_worker("k2")
    stack.start_worker("k2", FAKE_DRIVER_DELAYS="spawn=30,rescue=30,unrescue=30")
    for i, (body, action, event, _held, status) in enumerate(steps):
        stack.wait_hosts_up(["k2"])
        r = stack.action(sid, body)
        assert r.status_code in (200, 202), r.text
        stack.wait_until(lambda: _event_running(stack, sid, action, event), what=f"{action} in the driver")
        stack.kill_worker("k2")
        # restarted without this call's delay (its redo must finish), still holding the later steps' calls
        stack.start_worker("k2", FAKE_DRIVER_DELAYS=",".join(f"{s[3]}=30" for s in steps[i + 1:]))
        server = stack.wait_status(sid, status, timeout=60)
        assert server["OS-EXT-SRV-ATTR:host"] == "k2"
        events = _events(stack, sid, action)
        # the killed attempt's event stays open, as Nova's does; the redo's succeeded
        assert events["message"] is None and [(e["event"], e["result"]) for e in events["events"]] == [
            (event, None), (event, "Success")], events["events"]
        assert _driver(stack, "k2").list_instances() == [sid]
        assert _driver(stack, "k2").is_rescued(sid) == (status == "RESCUE")
