"""Volumes through moves, with real bind mounts standing in for NFS exports (the private mount namespace
`make test` runs in): the destination mounts the export before the guest starts there, the source releases
it only after the guest has left, and a mount audit in the middle of a move takes nothing away."""
import pytest

from hypervisors.volumes import mountinfo

from .test_volumes_api import vols  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def _mounts_allowed(private_mount_namespace):
    """Every test here mounts exports."""


def mounted(v, host, export_id) -> tuple[bool, list]:
    m = v.mounts(host, export_id)
    assert m["mounted"] == mountinfo.is_mounted(m["mountpoint"])  # the host's report agrees with the kernel
    return m["mounted"], sorted(m["attachments"])


def audit(v, host) -> dict:
    r = v.stack.post(f"/api/v1/hosts/{host}/mounts/audit", json={})
    assert r.status_code == 200, r.text
    return r.json()["report"]


def test_volumes_follow_live_migration_resize_confirm_and_revert(vols):
    v = vols(hosts=("m1", "m2"))
    export, _ = v.export()
    vid = v.create()
    v.wait(vid, "available")
    sid = v.boot_on("m1", "moved")
    assert v.attach(sid, vid).status_code == 200
    v.wait(vid, "in-use")
    key = [f"{vid}:{sid}"]
    assert mounted(v, "m1", export["id"]) == (True, key)

    # Live migration: mounted on m2 before the guest arrived (the fake refuses a volume file it cannot see),
    # released on m1 after it left.
    r = v.stack.action(sid, {"os-migrateLive": {"host": "m2", "block_migration": "auto"}})
    assert r.status_code == 202, r.text
    v.stack.wait_status(sid, "ACTIVE")
    assert v.stack.server(sid)["OS-EXT-SRV-ATTR:host"] == "m2"
    assert mounted(v, "m2", export["id"]) == (True, key)
    assert mounted(v, "m1", export["id"]) == (False, [])
    [conn] = v.driver("m2").list_volume_attachments(sid)
    assert conn.path.startswith(v.mounts("m2", export["id"])["mountpoint"] + "/")
    assert [a["host_name"] for a in v.get(vid)["attachments"]] == ["m2"]

    # Cold migration back: in VERIFY_RESIZE both hosts keep the export (the source for a revert), and an
    # audit on either side takes nothing away.
    assert v.stack.action(sid, {"migrate": None}).status_code == 202
    v.stack.wait_status(sid, "VERIFY_RESIZE")
    for host in ("m1", "m2"):
        report = audit(v, host)
        assert not report["pruned_keys"] and not report["unmounted"], report
        assert mounted(v, host, export["id"]) == (True, key)
    [conn] = v.driver("m1").list_volume_attachments(sid)
    assert conn.path.startswith(v.mounts("m1", export["id"])["mountpoint"] + "/")
    assert v.stack.action(sid, {"confirmResize": None}).status_code == 204
    v.stack.wait_status(sid, "ACTIVE")
    assert mounted(v, "m2", export["id"]) == (False, [])
    assert mounted(v, "m1", export["id"]) == (True, key)

    # Resize to m2 and revert: m2 mounted for the new guest, released once it is gone; m1 never let go.
    assert v.stack.action(sid, {"resize": {"flavorRef": "3"}}).status_code == 202
    v.stack.wait_status(sid, "VERIFY_RESIZE")
    assert mounted(v, "m2", export["id"]) == (True, key)
    assert v.stack.action(sid, {"revertResize": None}).status_code == 202
    v.stack.wait_status(sid, "ACTIVE")
    assert v.stack.server(sid)["OS-EXT-SRV-ATTR:host"] == "m1"
    assert mounted(v, "m2", export["id"]) == (False, [])
    assert mounted(v, "m1", export["id"]) == (True, key)
    assert [vol.volume_id for vol in v.driver("m1").list_volume_attachments(sid)] == [vid]
    assert [a["host_name"] for a in v.get(vid)["attachments"]] == ["m1"]

    # Detach after the moves works where the volume now is.
    assert v.detach(sid, vid).status_code == 202
    v.wait(vid, "available")
    assert mounted(v, "m1", export["id"]) == (False, [])


def test_evacuate_attaches_the_volumes_again_and_the_returning_source_unmounts(vols):
    v = vols(hosts=("s1", "s2"), stack_env={"SERVICE_DOWN_TIME": 3})
    export, _ = v.export()
    vid = v.create()
    v.wait(vid, "available")
    sid = v.boot_on("s1", "evacuee")
    assert v.attach(sid, vid).status_code == 200
    v.wait(vid, "in-use")
    key = [f"{vid}:{sid}"]
    v.stack.kill_worker("s1")  # the host dies; its mount stays (nobody is left to unmount it)
    v.stack.wait_until(lambda: {s["host"]: s["state"] for s in v.stack.get("/compute/v2.1/os-services").json()[
        "services"]}["s1"] == "down", timeout=20, what="s1 down")
    assert v.stack.action(sid, {"evacuate": {}}).status_code == 200
    v.stack.wait_status(sid, "ACTIVE")
    assert v.stack.server(sid)["OS-EXT-SRV-ATTR:host"] == "s2"
    assert mounted(v, "s2", export["id"]) == (True, key)
    [conn] = v.driver("s2").list_volume_attachments(sid)
    assert conn.path.startswith(v.mounts("s2", export["id"])["mountpoint"] + "/")
    assert [a["host_name"] for a in v.get(vid)["attachments"]] == ["s2"]

    v.stack.start_worker("s1")  # back: the old guest goes, then its mount
    v.stack.wait_hosts_up(["s1"])
    v.stack.wait_until(lambda: sid not in v.driver("s1").list_instances(), what="old guest removed from s1")
    v.stack.wait_until(lambda: mounted(v, "s1", export["id"]) == (False, []), what="s1 unmounted")
    assert mounted(v, "s2", export["id"]) == (True, key)
