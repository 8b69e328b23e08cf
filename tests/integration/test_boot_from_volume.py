"""Boot from volume end to end: a volume made from an image (Cinder's imageRef), a server booted from it
(block_device_mapping_v2, no imageRef), its export mounted on the host before the guest starts and until the
guest is gone, on every path: build, stop/start, a failed build, delete. Real PostgreSQL, Redis, workers,
bind mounts; the host's own view of its mounts (GET /api/v1/hosts/{host}/mounts) and the kernel's."""
import os

import pytest
import requests

from hypervisors.volumes import mountinfo

from .test_volumes_api import GIB, vols  # noqa: F401  (vols: the fixture)

pytestmark = pytest.mark.integration

SERVERS = "/compute/v2.1/servers"


@pytest.fixture(scope="module", autouse=True)
def _mounts_allowed(private_mount_namespace):
    """Every test here mounts exports."""


def upload_image(stack, data: bytes) -> str:
    r = stack.post("/image/v2/images", json={"name": "raw-disk", "disk_format": "raw", "container_format": "bare",
                                             "visibility": "public"})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    r = requests.put(stack.url(f"/image/v2/images/{image_id}/file"), data=data, timeout=60,
                     headers={"X-Auth-Token": stack.token(), "Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    return image_id


def bfv_body(volume_id, name="bfv", delete_on_termination=False, **server):
    return {"server": {"name": name, "imageRef": "", "flavorRef": "1", "block_device_mapping_v2": [
        {"uuid": volume_id, "source_type": "volume", "destination_type": "volume", "boot_index": 0,
         "delete_on_termination": delete_on_termination}], **server}}


def test_a_volume_from_an_image_boots_a_server_whose_export_stays_mounted_until_it_is_deleted(vols):
    v = vols()
    export, share = v.export()
    data = os.urandom((1 << 20) + 5)
    image_id = upload_image(v.stack, data)

    vid = v.create(size=1, imageRef=image_id, name="root")
    vol = v.wait(vid, "available")
    assert vol["bootable"] == "true" and vol["volume_image_metadata"]["image_id"] == image_id
    with open(share / f"volume-{vid}", "rb") as f:  # the image's bytes, then zeros to the volume's size
        assert f.read(len(data)) == data
    assert os.path.getsize(share / f"volume-{vid}") == GIB

    body = bfv_body(vid, delete_on_termination="yes")  # Nova's schema takes strings for these too
    body["server"]["block_device_mapping_v2"][0]["boot_index"] = "0"
    r = v.stack.post(SERVERS, json=body)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    server = v.stack.wait_status(sid, "ACTIVE")
    assert server["image"] == ""  # Nova's body of a volume-backed server
    assert server["os-extended-volumes:volumes_attached"] == [{"id": vid}]
    r = v.stack.get(f"{SERVERS}/{sid}", headers={"OpenStack-API-Version": "compute 2.3"})
    assert r.json()["server"]["os-extended-volumes:volumes_attached"] == [{"id": vid, "delete_on_termination": True}]
    host = server["OS-EXT-SRV-ATTR:host"]
    vol = v.wait(vid, "in-use")
    assert [(a["server_id"], a["device"]) for a in vol["attachments"]] == [(sid, "/dev/vda")]
    m = v.mounts(host, export["id"])
    assert m["mounted"] and m["attachments"] == [f"{vid}:{sid}"] and mountinfo.is_mounted(m["mountpoint"])
    # the guest boots from the file under this host's mount of the export
    (root,) = v.driver(host).list_volume_attachments(sid)
    assert (root.volume_id, root.device, root.path) == (vid, "/dev/vda", os.path.join(m["mountpoint"], f"volume-{vid}"))

    r = v.detach(sid, vid)
    assert r.status_code == 400 and "root device" in r.json()["badRequest"]["message"]
    r = v.stack.action(sid, {"rescue": None})  # Nova rescues a volume-backed server only from 2.87
    assert r.status_code == 400 and "volume-backed" in r.json()["badRequest"]["message"]
    # No volume snapshots here: createImage answers as a Nova whose policy refuses volume-backed snapshots
    # (an image of snapshots that do not exist could boot nothing); createBackup as every Nova.
    r = v.stack.action(sid, {"createImage": {"name": "snap"}})
    assert r.status_code == 403 and "create_image:allow_volume_backed" in r.json()["forbidden"]["message"]
    r = v.stack.action(sid, {"createBackup": {"name": "b", "backup_type": "daily", "rotation": 1}})
    assert r.status_code == 400 and "volume-backed" in r.json()["badRequest"]["message"]
    # Rebuild below 2.93: another image is a 400; the volume's own rebuilds the guest on the same volume.
    other = next(i["id"] for i in v.stack.get("/image/v2/images").json()["images"] if i["id"] != image_id)
    r = v.stack.action(sid, {"rebuild": {"imageRef": other}})
    assert r.status_code == 400 and "Unable to rebuild with a different image" in r.json()["badRequest"]["message"]
    r = v.stack.action(sid, {"rebuild": {"imageRef": image_id, "name": "rebuilt"}})
    assert r.status_code == 202, r.text
    assert r.json()["server"]["image"] == ""
    server = v.stack.wait_status(sid, "ACTIVE")
    assert (server["name"], server["image"]) == ("rebuilt", "")
    (root,) = v.driver(host).list_volume_attachments(sid)
    assert (root.volume_id, root.device) == (vid, "/dev/vda") and v.mounts(host, export["id"])["mounted"]
    # a stop and start keep the guest's disk: the export stays mounted throughout
    for action, status in (("os-stop", "SHUTOFF"), ("os-start", "ACTIVE")):
        assert v.stack.post(f"{SERVERS}/{sid}/action", json={action: None}).status_code == 202
        v.stack.wait_status(sid, status)
        assert v.mounts(host, export["id"])["mounted"]

    assert v.stack.delete(f"{SERVERS}/{sid}").status_code == 204
    v.stack.wait_gone(sid)
    v.stack.wait_until(lambda: v.get(vid) is None, what="the volume deleted with its server")
    m = v.mounts(host, export["id"])
    assert not m["mounted"] and m["attachments"] == [] and m["db_attachments"] == []
    assert not os.path.exists(share / f"volume-{vid}")


def test_a_failed_boot_from_volume_releases_the_mount_and_the_volume_and_the_400s(vols):
    v = vols()
    export, _ = v.export()
    vid = v.create(size=1, imageRef=v.stack.image_id())  # the seeded image has no data: a blank, bootable volume
    assert v.wait(vid, "available")["bootable"] == "true"
    r = v.stack.post(SERVERS, json=bfv_body(vid, metadata={"fake:fail": "spawn"}))
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    server = v.stack.wait_status(sid, "ERROR")
    assert server["os-extended-volumes:volumes_attached"] == []
    assert v.wait(vid, "available")["attachments"] == []  # delete_on_termination false: the volume stays
    m = v.mounts("v1", export["id"])
    assert not m["mounted"] and m["attachments"] == [] and m["db_attachments"] == []

    # The 400s (Nova's words), with nothing of a refused create left behind.
    blank = v.create(size=1)
    v.wait(blank, "available")

    def create(body):
        r = v.stack.post(SERVERS, json=body)
        assert r.status_code == 400, r.text
        return r.json()["badRequest"]["message"]

    assert "Boot sequence" in create({"server": {"name": "x", "imageRef": "", "flavorRef": "1"}})
    assert "not bootable" in create(bfv_body(blank))  # a blank volume is not bootable (Cinder, Nova)
    assert v.stack.post(f"{v.base}/{blank}/action",
                        json={"os-set_bootable": {"bootable": True}}).status_code == 200
    assert v.get(blank)["bootable"] == "true"
    assert "failed to get volume" in create(bfv_body("6f1f4d7e-0000-4000-8000-000000000000"))
    assert "multiple instances" in create(bfv_body(blank, min_count=2))
    no_source = bfv_body(blank)
    del no_source["server"]["block_device_mapping_v2"][0]["source_type"]
    assert "Some required fields are missing" in create(no_source)  # Nova's BlockDeviceDict rule
    assert "Invalid input for field/attribute block_device_mapping_v2" in create(  # Nova's schema
        bfv_body(blank, delete_on_termination="maybe"))
    assert "not supported" in create({"server": {"name": "x", "imageRef": "", "flavorRef": "1",
                                                 "block_device_mapping_v2": [{
                                                     "uuid": v.stack.image_id(), "source_type": "image",
                                                     "destination_type": "volume", "boot_index": 0,
                                                     "volume_size": 1}]}})
    assert v.get(blank)["status"] == "available"  # nothing of a refused create is left
    r = v.stack.post(v.base, json={"volume": {"size": 1, "imageRef": "6f1f4d7e-0000-4000-8000-000000000000"}})
    assert r.status_code == 400, r.text

    # No imageRef but a local image mapping at boot_index 0: Nova boots that image.
    r = v.stack.post(SERVERS, json={"server": {"name": "img", "imageRef": "", "flavorRef": "1",
                                               "block_device_mapping_v2": [{
                                                   "uuid": v.stack.image_id(), "source_type": "image",
                                                   "destination_type": "local", "boot_index": 0}]}})
    assert r.status_code == 202, r.text
    assert v.stack.wait_status(r.json()["server"]["id"], "ACTIVE")["image"]["id"] == v.stack.image_id()


def test_a_volume_backed_server_shelved_offloaded_takes_attach_and_detach_at_2_20_and_unshelves_with_them(vols):
    v = vols(hosts=("s1", "s2"), stack_env={"SHELVED_OFFLOAD_TIME": 0})
    export, _ = v.export()
    root, extra, gone = (v.create(size=1, imageRef=v.stack.image_id()), v.create(size=1), v.create(size=1))
    for vid in (root, extra, gone):
        v.wait(vid, "available")
    r = v.stack.post(SERVERS, json=bfv_body(root))
    sid = r.json()["server"]["id"]
    host = v.stack.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"]
    assert v.stack.action(sid, {"shelve": None}).status_code == 202
    v.stack.wait_status(sid, "SHELVED_OFFLOADED")
    m = v.mounts(host, export["id"])  # the guest left, then its host released the export
    assert not m["mounted"] and m["attachments"] == []
    assert v.get(root)["status"] == "in-use"  # still the server's boot volume

    assert v.attach(sid, extra).status_code == 409  # below 2.20 Nova refuses a shelved server
    for vid in (extra, gone):
        r = v.attach(sid, vid, version="2.20")
        assert r.status_code == 200, r.text
        v.wait(vid, "in-use")  # recorded at once: no host to plug it into
    r = v.stack.delete(f"{SERVERS}/{sid}/os-volume_attachments/{gone}",
                       headers={"OpenStack-API-Version": "compute 2.20"})
    assert r.status_code == 202, r.text
    v.wait(gone, "available")
    for h in ("s1", "s2"):
        assert not v.mounts(h, export["id"])["mounted"]

    assert v.stack.action(sid, {"unshelve": None}).status_code == 202
    server = v.stack.wait_status(sid, "ACTIVE")
    new_host = server["OS-EXT-SRV-ATTR:host"]
    assert sorted(x["id"] for x in server["os-extended-volumes:volumes_attached"]) == sorted([root, extra])
    m = v.mounts(new_host, export["id"])
    assert m["mounted"] and sorted(m["attachments"]) == sorted([f"{root}:{sid}", f"{extra}:{sid}"])
    assert [(c.volume_id, c.device) for c in v.driver(new_host).list_volume_attachments(sid)] == [
        (root, "/dev/vda"), (extra, "/dev/vdb")]
    assert v.stack.delete(f"{SERVERS}/{sid}").status_code == 204
    v.stack.wait_gone(sid)
    assert v.wait(root, "available") and v.wait(extra, "available")
    assert not v.mounts(new_host, export["id"])["mounted"]


def test_a_volume_backed_server_live_migrates_with_its_boot_volume_never_unmounted_under_it(vols):
    v = vols(hosts=("m1", "m2"), FAKE_DRIVER_DELAYS="live_migrate=1")
    export, _ = v.export()
    root = v.create(size=1, imageRef=v.stack.image_id())
    v.wait(root, "available")
    sid = v.stack.post(SERVERS, json=bfv_body(root)).json()["server"]["id"]
    source = v.stack.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"]
    dest = next(h for h in ("m1", "m2") if h != source)
    mountpoints = {h: v.mounts(h, export["id"])["mountpoint"] for h in ("m1", "m2")}
    drivers = {h: v.driver(h) for h in ("m1", "m2")}

    r = v.stack.action(sid, {"os-migrateLive": {"host": dest, "block_migration": "auto"}})
    assert r.status_code == 202, r.text
    samples = []

    def sample():  # the invariant: wherever the guest is defined, its boot volume's export is mounted
        for h, d in drivers.items():
            if sid in d.list_instances():
                samples.append((h, mountinfo.is_mounted(mountpoints[h])))
        return v.stack.server(sid)["status"] == "ACTIVE" and v.stack.server(sid)["OS-EXT-SRV-ATTR:host"] == dest

    v.stack.wait_until(sample, interval=0.05, what="live-migrated")
    assert {h for h, _ in samples} == {"m1", "m2"} and all(ok for _, ok in samples), samples
    (conn,) = drivers[dest].list_volume_attachments(sid)
    assert (conn.volume_id, conn.device) == (root, "/dev/vda") and conn.path.startswith(mountpoints[dest] + "/")
    assert "(shared-storage)" in drivers[dest].get_console_output(sid)  # auto: no local disk to copy
    v.stack.wait_until(lambda: not v.mounts(source, export["id"])["mounted"], what="the source released")
    assert v.mounts(dest, export["id"])["attachments"] == [f"{root}:{sid}"]
