"""Rebuild, createImage, shelve/unshelve, lock, rescue and os-resetState through the REST API, the host
queues and real worker processes (fake driver): Nova's states, actions and events, 409s and policies."""
import pytest
import requests

from hypervisors.fake import FakeDriver

from .faults import assert_fault

pytestmark = pytest.mark.integration
STACK = {"hosts": ["node1", "node2"], "users": {"mia": "alpha"}}
IMAGES = "/image/v2/images"


@pytest.fixture(scope="module")
def mia(api):
    return api.token("mia", "mia-pw", "alpha")


def driver(api, host) -> FakeDriver:
    return FakeDriver(host=host, state_dir=api.env["COMPUTE_STATE_DIR"] + "/fake")


def admin_view(api, sid) -> dict:
    return api.server(sid)  # the admin token: host attributes shown


def boot(api, token, name) -> str:
    r = api.boot(name=name, token=token)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    api.wait_status(sid, "ACTIVE")
    return sid


def action_events(api, sid, name, token=None) -> dict:
    actions = api.get(f"/compute/v2.1/servers/{sid}/os-instance-actions", token=token).json()["instanceActions"]
    req = next(a["request_id"] for a in actions if a["action"] == name)
    # From 2.51 a member sees an action's events too (below, they are an admin's only, as Nova's policy)
    return api.get(f"/compute/v2.1/servers/{sid}/os-instance-actions/{req}", token=token,
                   headers={"OpenStack-API-Version": "compute 2.51"}).json()["instanceAction"]


def new_image(api, token, name="other") -> str:
    r = api.post(IMAGES, token=token, json={"name": name, "disk_format": "raw", "container_format": "bare"})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    r = requests.put(api.url(f"{IMAGES}/{image_id}/file"), data=b"\0" * 4096, timeout=30,
                     headers={"X-Auth-Token": token, "Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    return image_id


def usage(api, host) -> int:
    hyps = api.get("/compute/v2.1/os-hypervisors/detail").json()["hypervisors"]
    return next(h["memory_mb_used"] for h in hyps if h["hypervisor_hostname"] == host)


def test_rebuild_keeps_the_server_and_boots_the_new_image(api, mia):
    sid = boot(api, mia, "rb")
    before = admin_view(api, sid)
    host = before["OS-EXT-SRV-ATTR:host"]
    image = new_image(api, mia)
    r = api.action(sid, {"rebuild": {"imageRef": image, "name": "rb-2", "metadata": {"k": "v"}}}, token=mia)
    assert r.status_code == 202, r.text
    body = r.json()["server"]
    assert body["id"] == sid and body["image"]["id"] == image and body["name"] == "rb-2"
    assert body["status"] == "REBUILD" and "adminPass" in body
    after = api.wait_status(sid, "ACTIVE")
    assert after["OS-EXT-SRV-ATTR:host"] == host and after["metadata"] == {"k": "v"}
    assert after["image"]["id"] == image
    assert driver(api, host).get_info(sid).power_state == 1
    ev = action_events(api, sid, "rebuild", token=mia)
    assert [(e["event"], e["result"]) for e in ev["events"]] == [("compute_rebuild_instance", "Success")]
    # A stopped server is rebuilt and stays stopped (Nova).
    assert api.action(sid, {"os-stop": None}, token=mia).status_code == 202
    api.wait_status(sid, "SHUTOFF")
    assert api.action(sid, {"rebuild": {"imageRef": image}}, token=mia).status_code == 202
    assert api.wait_status(sid, "SHUTOFF")["OS-EXT-STS:power_state"] == 4
    assert_fault(api.action(sid, {"rebuild": {"imageRef": "0" * 32}}, token=mia), 400, "could not be found")


def test_create_image_snapshots_into_the_image_service_as_qcow2(api, mia):
    sid = boot(api, mia, "snap")
    r = api.action(sid, {"createImage": {"name": "snap-1", "metadata": {"purpose": "test"}}}, token=mia)
    assert r.status_code == 202, r.text
    image_id = r.headers["Location"].rsplit("/", 1)[-1]
    assert r.headers["Location"].endswith(f"/image/v2/images/{image_id}")

    def active():
        img = api.get(f"{IMAGES}/{image_id}", token=mia).json()
        return img if img["status"] == "active" else None
    image = api.wait_until(active, what="the snapshot image active")
    assert image["disk_format"] == "qcow2" and image["name"] == "snap-1" and image["visibility"] == "private"
    assert image["image_type"] == "snapshot" and image["instance_uuid"] == sid and image["purpose"] == "test"
    assert not any(k.startswith("_") for k in image)
    data = api.get(f"{IMAGES}/{image_id}/file", token=mia).content
    assert data[:4] == b"QFI\xfb" and sid.encode() in data
    server = api.wait_status(sid, "ACTIVE")
    assert server["OS-EXT-STS:power_state"] == 1
    assert action_events(api, sid, "createImage", token=mia)["events"][0]["event"] == "compute_snapshot_instance"
    # The snapshot boots a server of its own.
    r = api.post("/compute/v2.1/servers", token=mia,
                 json={"server": {"name": "from-snap", "imageRef": image_id, "flavorRef": "1"}})
    assert r.status_code == 202, r.text
    api.wait_status(r.json()["server"]["id"], "ACTIVE")


def test_shelve_offloads_at_once_and_unshelve_schedules_again(api, mia):
    sid = boot(api, mia, "shelf")
    host = admin_view(api, sid)["OS-EXT-SRV-ATTR:host"]
    used = usage(api, host)
    assert api.action(sid, {"shelve": None}, token=mia).status_code == 202
    server = api.wait_status(sid, "SHELVED_OFFLOADED")
    assert server["OS-EXT-STS:vm_state"] == "shelved_offloaded" and server["OS-EXT-STS:power_state"] == 0
    assert admin_view(api, sid)["OS-EXT-SRV-ATTR:host"] is None
    assert sid not in driver(api, host).list_instances()
    assert usage(api, host) == used - 512  # the claim went back (flavor 1: 512 MB)
    images = api.get(IMAGES, token=mia, params={"name": "shelf-shelved"}).json()["images"]
    assert [i["status"] for i in images] == ["active"]
    shelve = action_events(api, sid, "shelve", token=mia)
    assert [e["event"] for e in shelve["events"]] == ["compute_shelve_instance", "compute_shelve_offload_instance"]
    assert_fault(api.action(sid, {"shelve": None}, token=mia), 409, "vm_state shelved_offloaded")

    assert api.action(sid, {"unshelve": None}, token=mia).status_code == 202
    server = api.wait_status(sid, "ACTIVE")
    new_host = admin_view(api, sid)["OS-EXT-SRV-ATTR:host"]
    assert sid in driver(api, new_host).list_instances()
    assert driver(api, new_host).get_info(sid).power_state == 1
    # Nova deletes the shelved snapshot once the server is back.
    assert api.get(f"{IMAGES}/{images[0]['id']}", token=mia).status_code == 404
    assert action_events(api, sid, "unshelve", token=mia)["events"][0]["result"] == "Success"
    assert api.delete(f"/compute/v2.1/servers/{sid}", token=mia).status_code == 204
    api.wait_gone(sid)


def test_lock_refuses_other_actions_to_non_admins_until_unlocked(api, mia):
    sid = boot(api, mia, "locked")
    assert api.action(sid, {"lock": None}, token=mia).status_code == 202
    for body in ({"os-stop": None}, {"shelve": None}, {"rebuild": {"imageRef": api.image_id()}},
                 {"rescue": None}, {"createImage": {"name": "x"}}):
        assert_fault(api.action(sid, body, token=mia), 409, f"Instance {sid} is locked")
    assert_fault(api.delete(f"/compute/v2.1/servers/{sid}", token=mia), 409, "is locked")
    # The reason is 2.73's; below it the body must be empty (Nova's schema).
    assert_fault(api.action(sid, {"lock": {"locked_reason": "maintenance"}}, token=mia), 400, "2.73")
    assert api.action(sid, {"unlock": None}, token=mia).status_code == 202
    assert api.action(sid, {"os-stop": None}, token=mia).status_code == 202
    api.wait_status(sid, "SHUTOFF")
    # An admin's lock binds the owner, and only an admin lifts it; an admin acts through any lock.
    assert api.action(sid, {"lock": None}).status_code == 202
    assert_fault(api.action(sid, {"os-start": None}, token=mia), 409, "is locked")
    assert_fault(api.action(sid, {"unlock": None}, token=mia), 403, "unlock_override")
    assert api.action(sid, {"os-start": None}).status_code == 202
    api.wait_status(sid, "ACTIVE")
    assert api.action(sid, {"unlock": None}).status_code == 202
    names = [a["action"] for a in api.get(f"/compute/v2.1/servers/{sid}/os-instance-actions").json()["instanceActions"]]
    assert names[:5] == ["unlock", "start", "lock", "stop", "unlock"]


def test_rescue_boots_the_rescue_image_and_unrescue_returns(api, mia):
    sid = boot(api, mia, "rescue-me")
    host = admin_view(api, sid)["OS-EXT-SRV-ATTR:host"]
    r = api.action(sid, {"rescue": {"adminPass": "s3cret-pass"}}, token=mia)
    assert r.status_code == 200 and r.json() == {"adminPass": "s3cret-pass"}, r.text
    server = api.wait_status(sid, "RESCUE")
    assert server["OS-EXT-STS:vm_state"] == "rescued" and driver(api, host).is_rescued(sid)
    assert_fault(api.action(sid, {"rescue": None}, token=mia), 409, "vm_state rescued")
    assert_fault(api.action(sid, {"os-stop": None}, token=mia), 409, "vm_state rescued")
    assert api.action(sid, {"unrescue": None}, token=mia).status_code == 202
    api.wait_status(sid, "ACTIVE")
    assert not driver(api, host).is_rescued(sid)
    assert_fault(api.action(sid, {"unrescue": None}, token=mia), 409, "vm_state active")
    r = api.action(sid, {"rescue": {"rescue_image_ref": new_image(api, mia, "rescue-img")}}, token=mia)
    assert r.status_code == 200 and len(r.json()["adminPass"]) >= 8
    api.wait_status(sid, "RESCUE")
    assert [e["event"] for e in action_events(api, sid, "rescue", token=mia)["events"]] == ["compute_rescue_instance"]


def test_reset_state_is_admin_only_and_sets_active_or_error(api, mia):
    sid = boot(api, mia, "reset")
    assert_fault(api.action(sid, {"os-resetState": {"state": "error"}}, token=mia), 403, "reset_state")
    assert_fault(api.action(sid, {"os-resetState": {"state": "stopped"}}), 400)
    assert api.action(sid, {"os-resetState": {"state": "error"}}).status_code == 202
    assert api.server(sid)["status"] == "ERROR"
    assert api.action(sid, {"os-resetState": {"state": "active"}}).status_code == 202
    assert api.server(sid)["status"] == "ACTIVE"
    assert_fault(api.action(sid, {"shelveOffload": None}, token=mia), 403, "shelve_offload")
    assert_fault(api.action(sid, {"shelveOffload": None}), 409, "vm_state active")
    assert_fault(api.action(sid, {"unshelve": None}, token=mia), 409, "vm_state active")


def test_deleting_an_offloaded_server_deletes_its_shelved_image(api, mia):
    sid = boot(api, mia, "gone-shelved")
    assert api.action(sid, {"shelve": None}, token=mia).status_code == 202
    api.wait_status(sid, "SHELVED_OFFLOADED")
    image = api.get(IMAGES, token=mia, params={"name": "gone-shelved-shelved"}).json()["images"][0]
    assert api.delete(f"/compute/v2.1/servers/{sid}", token=mia).status_code == 204  # no host: a local delete
    api.wait_gone(sid)
    assert api.get(f"{IMAGES}/{image['id']}", token=mia).status_code == 404
