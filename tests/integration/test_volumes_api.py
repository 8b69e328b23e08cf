"""NFS volumes end to end through the REST API: real PostgreSQL, real Redis, real worker processes (fake
driver), real bind mounts standing in for NFS exports, in the private mount namespace `make test` runs in.

What each host has mounted is read from the host itself (GET /api/v1/hosts/{host}/mounts) and checked
against /proc/self/mountinfo of this process, which shares the workers' mount namespace."""
import os

import pytest
import redis
import requests

from api.common.microversions import MAX_VERSION

from compute_platform import tasknames
from devtools.services import free_port
from hypervisors.fake import FakeDriver
from hypervisors.volumes import ExportRef, MountManager, mountinfo

pytestmark = pytest.mark.integration
GIB = 1 << 30


@pytest.fixture(scope="module", autouse=True)
def _mounts_allowed(private_mount_namespace):
    """Every test here mounts exports."""


class Volumes:
    """The stack plus the volume calls the tests make."""

    def __init__(self, stack, tmp_path):
        self.stack = stack
        self.tmp_path = tmp_path
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": "integration-secret"}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
        r = requests.post(stack.url("/identity/v3/auth/tokens"), json=body, timeout=10)
        self.project_id = r.json()["token"]["project"]["id"]
        self.base = f"/volume/v3/{self.project_id}/volumes"

    def export(self, name="e1", enabled=True):
        share = self.tmp_path / "exports" / name
        share.mkdir(parents=True, exist_ok=True)
        r = self.stack.post("/api/v1/exports", json={"export": {"name": name, "share": str(share), "fstype": "bind",
                                                                "enabled": enabled}})
        assert r.status_code == 201, r.text
        return r.json()["export"], share

    def create(self, size=1, **extra):
        r = self.stack.post(self.base, json={"volume": {"size": size, **extra}})
        assert r.status_code == 202, r.text
        return r.json()["volume"]["id"]

    def get(self, volume_id):
        r = self.stack.get(f"{self.base}/{volume_id}")
        return None if r.status_code == 404 else r.json()["volume"]

    def wait(self, volume_id, status, timeout=30):
        def settled():
            v = self.get(volume_id)
            return v if v and v["status"] == status else None
        return self.stack.wait_until(settled, timeout=timeout, what=f"volume {volume_id} {status}")

    def attach(self, server_id, volume_id, version=None, **extra):
        headers = {"OpenStack-API-Version": f"compute {version}"} if version else {}
        return self.stack.post(f"/compute/v2.1/servers/{server_id}/os-volume_attachments", headers=headers,
                               json={"volumeAttachment": {"volumeId": volume_id, **extra}})

    def detach(self, server_id, volume_id):
        return self.stack.delete(f"/compute/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}")

    def mounts(self, host, export_id) -> dict:
        r = self.stack.get(f"/api/v1/hosts/{host}/mounts")
        assert r.status_code == 200, r.text
        return next(m for m in r.json()["mounts"] if m["export_id"] == str(export_id))

    def boot_on(self, host, name):
        """Boot a server on `host` by disabling the other hosts for the request."""
        others = [h for h in self.stack.hosts if h != host]
        for h in others:
            assert self.stack.request("PUT", "/compute/v2.1/os-services/disable",
                                      json={"host": h, "binary": "nova-compute"}).status_code == 200
        try:
            sid = self.stack.boot(name=name).json()["server"]["id"]
        finally:
            for h in others:
                self.stack.request("PUT", "/compute/v2.1/os-services/enable", json={"host": h, "binary": "nova-compute"})
        server = self.stack.wait_status(sid, "ACTIVE")
        assert server["OS-EXT-SRV-ATTR:host"] == host
        return sid

    def driver(self, host):
        return FakeDriver(host=host, state_dir=self.stack.env["COMPUTE_STATE_DIR"] + "/fake")

    def action(self, server_id, name):
        actions = self.stack.get(f"/compute/v2.1/servers/{server_id}/os-instance-actions").json()["instanceActions"]
        req = next(a["request_id"] for a in actions if a["action"] == name)
        return self.stack.get(f"/compute/v2.1/servers/{server_id}/os-instance-actions/{req}").json()["instanceAction"]


@pytest.fixture
def vols(make_stack, tmp_path):
    def factory(hosts=("v1",), stack_env=None, **worker_env):
        stack = make_stack(hosts=hosts, start_workers=False, **(stack_env or {}))
        for host in hosts:
            stack.start_worker(host, **worker_env)
        stack.wait_ready()
        stack.start_conductor()  # the volume service: consumes `volume`
        return Volumes(stack, tmp_path)
    return factory


def test_seed_regression_detach_of_one_volume_keeps_the_shared_export_for_a_stopped_server(vols):
    """Two volumes on one export, attached to servers A and B on one host; A stopped; detaching B's volume
    leaves the export mounted, and A starts with its volume."""
    v = vols()
    export, share = v.export()
    vol_a, vol_b = v.create(size=2, name="a"), v.create(size=1, name="b")
    for vid, size in ((vol_a, 2), (vol_b, 1)):
        body = v.wait(vid, "available")
        assert body["size"] == size and body["attachments"] == [] and body["multiattach"] is False
        path = share / f"volume-{vid}"
        assert path.stat().st_size == size * GIB and path.stat().st_blocks == 0  # sparse
    # The volume service released its mount once the files were made.
    assert not v.mounts("volume-service", export["id"])["mounted"]

    a, b = v.boot_on("v1", "A"), v.boot_on("v1", "B")
    ra, rb = v.attach(a, vol_a), v.attach(b, vol_b)
    assert ra.status_code == 200 and rb.status_code == 200, (ra.text, rb.text)
    assert ra.json()["volumeAttachment"] == {"id": vol_a, "volumeId": vol_a, "serverId": a, "device": "/dev/vdb"}
    for vid, sid in ((vol_a, a), (vol_b, b)):
        body = v.wait(vid, "in-use")
        assert [(x["server_id"], x["device"], x["host_name"]) for x in body["attachments"]] == [(sid, "/dev/vdb", "v1")]
    m = v.mounts("v1", export["id"])
    assert m["mounted"] and mountinfo.is_mounted(m["mountpoint"])
    assert sorted(m["attachments"]) == sorted([f"{vol_a}:{a}", f"{vol_b}:{b}"])
    assert {x["volume_id"] for x in m["db_attachments"]} == {vol_a, vol_b}
    assert v.stack.get(f"/compute/v2.1/servers/{a}/os-volume_attachments").json() == {
        "volumeAttachments": [{"id": vol_a, "volumeId": vol_a, "serverId": a, "device": "/dev/vdb"}]}
    assert v.stack.get(f"/compute/v2.1/servers/{a}/os-volume_attachments/{vol_a}").status_code == 200
    # The server body lists it too (Nova's os-extended-volumes), with delete_on_termination from 2.3.
    assert v.stack.server(a)["os-extended-volumes:volumes_attached"] == [{"id": vol_a}]
    shown = v.stack.get(f"/compute/v2.1/servers/{a}", headers={"OpenStack-API-Version": "compute 2.3"}).json()
    assert shown["server"]["os-extended-volumes:volumes_attached"] == [{"id": vol_a, "delete_on_termination": False}]
    assert v.stack.get(f"/compute/v2.1/servers/{a}/os-volume_attachments/{vol_b}").status_code == 404

    assert v.stack.action(a, {"os-stop": None}).status_code == 202
    v.stack.wait_status(a, "SHUTOFF")
    assert v.detach(b, vol_b).status_code == 202
    v.wait(vol_b, "available")
    m = v.mounts("v1", export["id"])
    assert m["mounted"] and m["attachments"] == [f"{vol_a}:{a}"]
    assert [c.volume_id for c in v.driver("v1").list_volume_attachments(b)] == []

    assert v.stack.action(a, {"os-start": None}).status_code == 202
    v.stack.wait_status(a, "ACTIVE")
    conns = v.driver("v1").list_volume_attachments(a)
    assert [(c.volume_id, c.device, c.path) for c in conns] == [
        (vol_a, "/dev/vdb", os.path.join(m["mountpoint"], f"volume-{vol_a}"))]
    assert os.path.getsize(conns[0].path) == 2 * GIB  # the file, through the mount
    assert v.get(vol_a)["status"] == "in-use"
    # A hard reboot re-asserts too, and changes nothing.
    assert v.stack.action(a, {"reboot": {"type": "HARD"}}).status_code == 202
    v.stack.wait_status(a, "ACTIVE")
    assert v.mounts("v1", export["id"])["attachments"] == [f"{vol_a}:{a}"]

    # The last detach unmounts; then the volume deletes and its file goes.
    assert v.detach(a, vol_a).status_code == 202
    v.wait(vol_a, "available")
    m = v.mounts("v1", export["id"])
    assert not m["mounted"] and m["attachments"] == [] and not mountinfo.is_mounted(m["mountpoint"])
    for vid in (vol_a, vol_b):
        assert v.stack.delete(f"{v.base}/{vid}").status_code == 202
        v.stack.wait_until(lambda vid=vid: v.get(vid) is None, what=f"volume {vid} gone")
        assert not (share / f"volume-{vid}").exists()
    detach_events = v.action(b, "detach_volume")["events"]
    assert [(e["event"], e["result"]) for e in detach_events] == [("compute_detach_volume", "Success")]


def test_a_failing_attach_releases_its_attachment_and_the_mount_and_records_the_fault(vols):
    v = vols()
    export, share = v.export()
    vid = v.create()
    v.wait(vid, "available")
    sid = v.boot_on("v1", "victim")
    os.remove(share / f"volume-{vid}")  # the driver will find no file: VolumeAttachFailed

    r = v.attach(sid, vid)
    assert r.status_code == 200, r.text
    # The event finishes first, then the mount is released, then the action is finished as an error: wait
    # for the last of these (the action's message), not the first.
    action = v.stack.wait_until(lambda: (lambda a: a if a["events"] and a["events"][0]["finish_time"]
                                         and a["message"] else None)(v.action(sid, "attach_volume")),
                                what="the attach to finish as an error")
    assert action["message"] == "Error"
    event = action["events"][0]
    assert event["event"] == "compute_attach_volume" and event["result"] == "Error"
    assert "VolumeAttachFailed" in event["traceback"] and f"volume-{vid}" in event["traceback"]
    body = v.wait(vid, "available")
    assert body["attachments"] == []
    assert v.stack.get(f"/compute/v2.1/servers/{sid}/os-volume_attachments").json()["volumeAttachments"] == []
    m = v.mounts("v1", export["id"])
    assert m["attachments"] == [] and not m["mounted"] and not mountinfo.is_mounted(m["mountpoint"])
    assert v.stack.server(sid)["status"] == "ACTIVE"  # the server is untouched


def test_multiattach_across_two_hosts_and_the_400s(vols):
    v = vols(hosts=("m1", "m2"))
    export, _ = v.export()
    shared, single = v.create(multiattach=True, name="shared"), v.create(name="single")
    v.wait(shared, "available"), v.wait(single, "available")
    a, b = v.boot_on("m1", "A"), v.boot_on("m2", "B")

    refused = v.attach(a, shared, "2.59")  # a multiattach volume needs microversion 2.60
    assert refused.status_code == 400 and "2.60" in refused.json()["badRequest"]["message"]
    assert v.attach(a, shared, "2.60").status_code == 200
    assert v.attach(b, shared, "2.60").status_code == 200
    v.stack.wait_until(lambda: len(v.get(shared)["attachments"]) == 2, what="two attachments")
    body = v.get(shared)
    assert body["status"] == "in-use" and body["multiattach"] is True
    assert {(x["server_id"], x["host_name"]) for x in body["attachments"]} == {(a, "m1"), (b, "m2")}
    ma, mb = v.mounts("m1", export["id"]), v.mounts("m2", export["id"])
    assert ma["mounted"] and mb["mounted"] and ma["mountpoint"] != mb["mountpoint"]
    assert ma["attachments"] == [f"{shared}:{a}"] and mb["attachments"] == [f"{shared}:{b}"]

    # Twice to one server, and a non-multiattach volume to a second server, are 400.
    again = v.attach(a, shared, "2.60")
    assert again.status_code == 400 and "already attached" in again.json()["badRequest"]["message"]
    assert v.attach(a, single).status_code == 200
    v.wait(single, "in-use")
    second = v.attach(b, single)
    assert second.status_code == 400 and "badRequest" in second.json()
    assert v.attach(a, single).status_code == 400
    # The next device of A.
    assert v.stack.get(f"/compute/v2.1/servers/{a}/os-volume_attachments/{single}").json()[
        "volumeAttachment"]["device"] == "/dev/vdc"
    # Deleting an in-use volume is 400 (Cinder's shape) and changes nothing.
    r = v.stack.delete(f"{v.base}/{shared}")
    assert r.status_code == 400 and "attached" in r.json()["badRequest"]["message"]
    assert v.get(shared)["status"] == "in-use"

    # Detaching from one host leaves the other host's mount alone.
    assert v.detach(a, shared).status_code == 202
    v.stack.wait_until(lambda: len(v.get(shared)["attachments"]) == 1, what="one attachment left")
    assert v.get(shared)["status"] == "in-use"
    assert v.mounts("m1", export["id"])["attachments"] == [f"{single}:{a}"]
    assert v.mounts("m2", export["id"])["mounted"]
    # A detach of a volume that is not attached is a 404; an attach of a missing volume too.
    assert v.detach(b, single).status_code == 404
    assert v.attach(b, "00000000-0000-0000-0000-000000000000").status_code == 404


def test_deleting_a_server_detaches_its_volumes_and_unmounts(vols):
    v = vols()
    export, share = v.export()
    vols_ = [v.create(name=f"d{i}") for i in range(2)]
    for vid in vols_:
        v.wait(vid, "available")
    sid = v.boot_on("v1", "doomed")
    for vid in vols_:
        assert v.attach(sid, vid).status_code == 200
        v.wait(vid, "in-use")
    assert v.mounts("v1", export["id"])["mounted"]

    assert v.stack.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
    v.stack.wait_gone(sid)
    for vid in vols_:
        assert v.wait(vid, "available")["attachments"] == []
    m = v.mounts("v1", export["id"])
    assert not m["mounted"] and m["attachments"] == [] and m["db_attachments"] == []
    assert sid not in v.driver("v1").list_instances()


def test_a_server_with_a_task_in_flight_cannot_attach_or_detach(vols):
    v = vols(FAKE_DRIVER_DELAYS="power_off=4")
    v.export()
    vid, other = v.create(), v.create()
    v.wait(vid, "available"), v.wait(other, "available")
    sid = v.boot_on("v1", "busy")
    assert v.attach(sid, other).status_code == 200
    v.wait(other, "in-use")
    assert v.stack.action(sid, {"os-stop": None}).status_code == 202
    r = v.attach(sid, vid)
    assert r.status_code == 409 and "powering-off" in r.json()["conflictingRequest"]["message"]
    assert v.detach(sid, other).status_code == 409
    assert v.get(vid)["status"] == "available" and v.get(other)["status"] == "in-use"
    v.stack.wait_status(sid, "SHUTOFF")
    # Stopped servers take volumes (they appear at the next start).
    assert v.attach(sid, vid).status_code == 200
    v.wait(vid, "in-use")


def test_worker_restart_rebuilds_the_mount_state_from_the_database(vols):
    """SIGKILL the host's worker, lose its Redis set and its mount; the restarted worker's rebuild restores
    both from the database and the guests before it takes work."""
    v = vols(hosts=("w1",))
    export, _ = v.export()
    vid = v.create()
    v.wait(vid, "available")
    sid = v.boot_on("w1", "survivor")
    assert v.attach(sid, vid).status_code == 200
    v.wait(vid, "in-use")
    m = v.mounts("w1", export["id"])
    assert m["mounted"]

    v.stack.kill_worker("w1")
    manager = MountManager(host="w1", redis_client=redis.Redis.from_url(v.stack.redis_url),
                           mount_base=os.path.join(v.stack.env["COMPUTE_STATE_DIR"], "mnt", "w1"))
    ref = ExportRef(id=str(export["id"]), share=export["share"], fstype="bind")
    keys = manager.state_keys(ref)
    r = redis.Redis.from_url(v.stack.redis_url)
    r.delete(keys["attachments"])
    r.sadd(keys["attachments"], f"{vid}:00000000-0000-0000-0000-0000000000aa")  # a stale key
    assert os.system(f"umount {m['mountpoint']}") == 0
    assert not mountinfo.is_mounted(m["mountpoint"])

    v.stack.start_worker("w1")
    v.stack.wait_hosts_up(["w1"])
    m = v.stack.wait_until(lambda: (lambda s: s if s["attachments"] == [f"{vid}:{sid}"] else None)(
        v.mounts("w1", export["id"])), what="the rebuilt set")
    assert m["mounted"] and mountinfo.is_mounted(m["mountpoint"])
    assert m["pending_unmount"] is None
    # And the host works as before: the audit finds nothing to fix, the detach unmounts.
    report = v.stack.post("/api/v1/hosts/w1/mounts/audit", json={}).json()["report"]
    assert not any(report[k] for k in ("mounted", "unmounted", "failed", "stale_keys", "missing_keys"))
    assert v.detach(sid, vid).status_code == 202
    v.wait(vid, "available")
    assert not v.mounts("w1", export["id"])["mounted"]


def test_the_audit_reports_drift_and_remounts_what_is_needed(vols):
    v = vols(hosts=("a1",))
    export, _ = v.export()
    vid = v.create()
    v.wait(vid, "available")
    sid = v.boot_on("a1", "audited")
    assert v.attach(sid, vid).status_code == 200
    v.wait(vid, "in-use")
    m = v.mounts("a1", export["id"])
    assert os.system(f"umount {m['mountpoint']}") == 0  # an operator's mistake

    r = v.stack.post("/api/v1/hosts/a1/mounts/audit", json={})
    assert r.status_code == 200, r.text
    assert r.json()["report"]["mounted"] == [str(export["id"])]
    assert v.mounts("a1", export["id"])["mounted"]
    # The beat task fans out the same audit (here sent by hand, as beat would).
    v.stack.send_task(tasknames.AUDIT_MOUNTS_ALL_HOSTS, queue=tasknames.CONDUCTOR_QUEUE)
    v.stack.wait_until(lambda: "mount audit" in (v.stack.workdir / "worker-a1.log").read_text(),
                       what="the periodic audit on a1")


def test_volumes_api_shapes_errors_and_isolation(vols):
    v = vols()
    # No export yet: an operator-friendly 400.
    r = v.stack.post(v.base, json={"volume": {"size": 1}})
    assert r.status_code == 400 and "export" in r.json()["badRequest"]["message"]
    for bad in ({"size": 0}, {"size": "x"}, {}, {"size": 1, "snapshot_id": "abc"}):
        r = v.stack.post(v.base, json={"volume": bad})
        assert r.status_code == 400 and "badRequest" in r.json(), (bad, r.text)
    assert v.stack.post(v.base, json={"size": 1}).status_code == 400
    export, _ = v.export()
    disabled, _ = v.export(name="off", enabled=False)
    vid = v.create(name="shaped", description="d", metadata={"k": "v"})
    body = v.wait(vid, "available")
    assert body["name"] == "shaped" and body["description"] == "d" and body["metadata"] == {"k": "v"}
    assert body["os-vol-host-attr:host"] == "volume-service@nfs#e1"  # admin; never the disabled export
    assert body["links"][0]["href"].endswith(f"/volume/v3/{v.project_id}/volumes/{vid}")
    listed = v.stack.get(v.base).json()["volumes"]
    assert [x["id"] for x in listed] == [vid] and set(listed[0]) == {"id", "name", "links"}
    assert v.stack.get(f"{v.base}/detail").json()["volumes"][0]["id"] == vid
    assert v.stack.get(f"{v.base}/nope").status_code == 404
    assert v.stack.get(f"{v.base}/detail?status=in-use").json()["volumes"] == []

    # Another project sees none of it; a member is no admin.
    v.stack.manage("user_create", "bob", "--project", "other", "--role", "member", USER_PASSWORD="pw")
    bob = v.stack.token("bob", "pw", "other")
    assert v.stack.get(v.base, token=bob).json()["volumes"] == []
    assert v.stack.get(f"{v.base}/{vid}", token=bob).status_code == 404
    assert v.stack.delete(f"{v.base}/{vid}", token=bob).status_code == 404
    assert v.stack.get("/api/v1/exports", token=bob).status_code == 403
    assert v.stack.get("/api/v1/hosts/v1/mounts", token=bob).status_code == 403


def test_exports_admin_api(vols):
    v = vols()
    export, share = v.export()
    assert export["fstype"] == "bind" and export["enabled"] is True and export["volume_count"] == 0
    r = v.stack.post("/api/v1/exports", json={"export": {"name": "e1", "share": "/elsewhere", "fstype": "bind"}})
    assert r.status_code == 409
    r = v.stack.post("/api/v1/exports", json={"export": {"name": "n", "share": "nohost-path", "fstype": "nfs"}})
    assert r.status_code == 400 and "server:/path" in r.json()["badRequest"]["message"]
    r = v.stack.post("/api/v1/exports", json={"export": {"name": "n", "share": "nfs1:/srv/vols",
                                                         "mount_options": "vers=4.2,soft"}})
    assert r.status_code == 201 and r.json()["export"]["fstype"] == "nfs"
    nfs_id = r.json()["export"]["id"]
    assert {e["name"] for e in v.stack.get("/api/v1/exports").json()["exports"]} == {"e1", "n"}
    assert v.stack.request("PUT", f"/api/v1/exports/{nfs_id}", json={"export": {"enabled": False}}).json()[
        "export"]["enabled"] is False
    assert v.stack.delete(f"/api/v1/exports/{nfs_id}").status_code == 204
    assert v.stack.get(f"/api/v1/exports/{nfs_id}").status_code == 404

    vid = v.create()
    v.wait(vid, "available")
    assert v.stack.get(f"/api/v1/exports/{export['id']}").json()["export"]["volume_count"] == 1
    assert v.stack.delete(f"/api/v1/exports/{export['id']}").status_code == 409
    r = v.stack.request("PUT", f"/api/v1/exports/{export['id']}", json={"export": {"share": "/moved"}})
    assert r.status_code == 409
    assert v.stack.delete(f"{v.base}/{vid}").status_code == 202
    v.stack.wait_until(lambda: v.get(vid) is None, what="volume gone")
    assert v.stack.delete(f"/api/v1/exports/{export['id']}").status_code == 204
    # Mounts of an unknown host: 404.
    assert v.stack.get("/api/v1/hosts/nosuch/mounts").status_code == 404


def test_a_worker_killed_mid_attach_finishes_it_at_restart(vols):
    v = vols(hosts=("k1",), FAKE_DRIVER_DELAYS="attach_volume=30")
    export, _ = v.export()
    vid = v.create()
    v.wait(vid, "available")
    sid = v.boot_on("k1", "interrupted")
    assert v.attach(sid, vid).status_code == 200
    # The export is mounted and the key recorded before the (slow) plug: kill the worker inside the plug.
    v.stack.wait_until(lambda: v.mounts("k1", export["id"])["attachments"] == [f"{vid}:{sid}"],
                       what="the mount before the plug")
    v.stack.kill_worker("k1")
    assert v.get(vid)["status"] == "attaching"

    v.stack.start_worker("k1")
    body = v.wait(vid, "in-use")
    assert [x["server_id"] for x in body["attachments"]] == [sid]
    assert [c.volume_id for c in v.driver("k1").list_volume_attachments(sid)] == [vid]
    m = v.mounts("k1", export["id"])
    assert m["mounted"] and m["attachments"] == [f"{vid}:{sid}"]
    assert v.action(sid, "attach_volume")["message"] is None  # finished without error


def test_an_attach_whose_message_was_lost_is_redriven(vols):
    v = vols(hosts=("l1",), stack_env={"STALE_TASK_SECONDS": 1})
    export, _ = v.export()
    vid = v.create()
    v.wait(vid, "available")
    sid = v.boot_on("l1", "lost")
    # The API loses its broker: the attach commits and answers, with no message behind it.
    v.stack.restart_api(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert v.attach(sid, vid).status_code == 200
    assert v.get(vid)["status"] == "attaching"
    v.stack.restart_api()
    # What beat sends every 5 minutes: the conductor finds the stale attachment and re-sends its task.
    v.stack.send_task(tasknames.REDRIVE_STALE_TASKS, queue=tasknames.CONDUCTOR_QUEUE)
    v.wait(vid, "in-use")
    assert v.mounts("l1", export["id"])["attachments"] == [f"{vid}:{sid}"]


def test_volume_version_documents_and_limits_usage(vols):
    v = vols()
    v.export()
    for path in ("/volume", "/volume/"):
        r = requests.get(v.stack.url(path), timeout=10)
        assert r.status_code == 200 and r.json()["versions"][0]["id"] == "v3.0"
    doc = requests.get(v.stack.url(f"/volume/v3/{v.project_id}/"), timeout=10).json()["version"]
    assert (doc["version"], doc["min_version"]) == ("3.0", "3.0")
    vid = v.create(size=3)
    v.wait(vid, "available")
    absolute = v.stack.get(f"/volume/v3/{v.project_id}/limits").json()["limits"]["absolute"]
    assert (absolute["totalVolumesUsed"], absolute["totalGigabytesUsed"], absolute["maxTotalVolumes"]) == (1, 3, -1)


def test_redis_restarted_empty_loses_no_mount(vols, tmp_path):
    """The fault-injection drill: two volumes on one export attached to two servers of a host, then the Redis
    holding the mount state SIGKILLed and restarted empty on its port (no persistence). The audit must not
    unmount the export under them (the old bug); the state is rebuilt from the database and the guests, and
    the detaches then behave: the first keeps the export, the last unmounts it."""
    from devtools.services import Redis

    mount_redis = Redis(tmp_path / "mount-redis").start()  # the stack's mount Redis, which this test owns
    try:
        v = vols(hosts=("r1",), stack_env={"MOUNT_REDIS_URL": mount_redis.url})
        export, _ = v.export()
        vol_a, vol_b = v.create(name="a"), v.create(name="b")
        sid_a, sid_b = v.boot_on("r1", "a"), v.boot_on("r1", "b")
        for sid, vid in ((sid_a, vol_a), (sid_b, vol_b)):
            v.wait(vid, "available")
            assert v.attach(sid, vid).status_code == 200
            v.wait(vid, "in-use")
        m = v.mounts("r1", export["id"])
        assert m["mounted"] and m["attachments"] == sorted([f"{vol_a}:{sid_a}", f"{vol_b}:{sid_b}"])

        mount_redis.kill()
        mount_redis.start()
        assert redis.Redis.from_url(mount_redis.url).dbsize() == 0, "restarted empty"

        r = v.stack.post("/api/v1/hosts/r1/mounts/audit", json={})
        assert r.status_code == 200, r.text
        assert r.json()["report"]["unmounted"] == []
        assert mountinfo.is_mounted(m["mountpoint"]), "the kernel still has the export under both guests"
        after = v.mounts("r1", export["id"])
        assert after["mounted"] and after["attachments"] == m["attachments"]

        assert v.detach(sid_a, vol_a).status_code == 202
        v.wait(vol_a, "available")
        assert mountinfo.is_mounted(m["mountpoint"]) and v.mounts("r1", export["id"])["attachments"] == [
            f"{vol_b}:{sid_b}"]
        assert v.detach(sid_b, vol_b).status_code == 202
        v.wait(vol_b, "available")
        assert not mountinfo.is_mounted(m["mountpoint"])
    finally:
        mount_redis.stop()


@pytest.mark.skipif(MAX_VERSION < (2, 101), reason="microversion 2.101 is above MAX_VERSION")
def test_attachment_microversions_tags_delete_on_termination_ids(vols):
    """2.49 tag, 2.70 tag shown, 2.79 delete_on_termination (the volume goes with its server), 2.89
    attachment_id and bdm_uuid for id, 2.101 a 202 with no body."""
    v = vols()
    v.export()
    keep, doomed, later = (v.create(name=n) for n in ("keep", "doomed", "later"))
    for vid in (keep, doomed, later):
        v.wait(vid, "available")
    sid = v.boot_on("v1", "dot")
    assert v.attach(sid, keep, "2.48", tag="disk").status_code == 400  # tag from 2.49
    assert v.attach(sid, keep, "2.78", delete_on_termination=True).status_code == 400  # from 2.79
    r = v.attach(sid, keep, "2.49", tag="disk")
    assert r.status_code == 200 and "tag" not in r.json()["volumeAttachment"]
    r = v.attach(sid, doomed, "2.79", tag="scratch", delete_on_termination=True)
    assert r.json()["volumeAttachment"] == {"id": doomed, "volumeId": doomed, "serverId": sid,
                                            "device": "/dev/vdc", "tag": "scratch", "delete_on_termination": True}
    r = v.attach(sid, later, "2.101")
    assert r.status_code == 202 and r.content == b""
    for vid in (keep, doomed, later):
        v.wait(vid, "in-use")
    listed = v.stack.get(f"/compute/v2.1/servers/{sid}/os-volume_attachments",
                         headers={"OpenStack-API-Version": "compute 2.89"}).json()["volumeAttachments"]
    first = next(a for a in listed if a["volumeId"] == keep)
    assert "id" not in first and first["attachment_id"] == first["bdm_uuid"] and first["tag"] == "disk"
    assert first["delete_on_termination"] is False

    assert v.stack.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
    v.stack.wait_gone(sid)
    v.wait(keep, "available"), v.wait(later, "available")
    v.stack.wait_until(lambda: v.get(doomed) is None, what="the delete_on_termination volume deleted")
