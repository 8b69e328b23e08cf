"""Single behaviours Tempest checks against Nova (issue 11), end to end on a live stack with fake-host workers:
deleting a flavor in use, os-migrations per microversion, createBackup's rotation and the image proxy's
filters, os-server-password, injectNetworkInfo, the create schema's 400s, access addresses on update, the
resize quota check, and the diagnostics driver name."""
import uuid

import pytest

from .faults import assert_fault

pytestmark = pytest.mark.integration
# Finite instance quotas (the resize check); everything else unlimited as in the other modules.
STACK = {"hosts": ["node1", "node2"], "users": {"sam": "singles"}, "env": {"QUOTA_RAM": "10240"}}
SERVERS, FLAVORS, IMAGES = "/compute/v2.1/servers", "/compute/v2.1/flavors", "/compute/v2.1/images"


def at(version: str) -> dict:
    return {"OpenStack-API-Version": f"compute {version}"}


@pytest.fixture(scope="module")
def sam(api):
    return api.token("sam", "sam-pw", "singles")


def act(api, sid, body, token=None, version="2.1"):
    return api.post(f"{SERVERS}/{sid}/action", json=body, token=token, headers=at(version))


def boot(api, token=None, flavor="1", name="vm") -> str:
    r = api.boot(name=name, flavor=flavor, token=token)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    api.wait_status(sid, "ACTIVE")
    return sid


def new_flavor(api, flavorid: str, ram=256, vcpus=1, disk=1, name=None) -> dict:
    r = api.post(FLAVORS, json={"flavor": {"name": name or f"f-{flavorid}", "ram": ram, "vcpus": vcpus,
                                           "disk": disk, "id": flavorid}})
    assert r.status_code == 200, r.text
    return r.json()["flavor"]


def test_a_flavor_in_use_is_deleted_and_a_resize_reverts_to_it(api):
    new_flavor(api, "old-f", ram=256)
    new_flavor(api, "new-f", ram=384)
    sid = boot(api, flavor="old-f")
    assert api.action(sid, {"resize": {"flavorRef": "new-f"}}).status_code == 202
    api.wait_status(sid, "VERIFY_RESIZE")
    # Nova lets an admin delete a flavor that instances and an open resize still use.
    assert api.delete(f"{FLAVORS}/old-f").status_code == 202
    assert_fault(api.get(f"{FLAVORS}/old-f"), 404)
    assert "old-f" not in [f["id"] for f in api.get(FLAVORS).json()["flavors"]]
    assert api.action(sid, {"revertResize": None}).status_code == 202
    server = api.wait_status(sid, "ACTIVE")
    assert server["flavor"]["id"] == "old-f"  # the instance keeps its copy
    assert_fault(api.action(sid, {"resize": {"flavorRef": "old-f"}}), 400)  # but nobody can pick it any more
    assert api.get(f"{SERVERS}/{sid}", headers=at("2.47")).json()["server"]["flavor"]["ram"] == 256
    # The id and name are free again at once; the new flavor is another one.
    assert new_flavor(api, "old-f", ram=128, name="f-old-f")["ram"] == 128
    assert api.server(sid)["flavor"]["id"] == "old-f"
    assert api.delete(f"{FLAVORS}/new-f").status_code == 202  # only a migration refers to it
    assert api.delete(f"{SERVERS}/{sid}").status_code == 204
    api.wait_gone(sid)


def test_os_migrations_body_per_microversion(api):
    rows = api.get("/compute/v2.1/os-migrations").json()["migrations"]
    assert rows and not {"migration_type", "uuid", "links"} & set(rows[0])  # 2.1: neither
    m = api.get("/compute/v2.1/os-migrations", headers=at("2.23")).json()["migrations"][0]
    assert m["migration_type"] == "resize" and "uuid" not in m and "links" not in m
    newest = api.get("/compute/v2.1/os-migrations", headers=at("2.59")).json()["migrations"]
    assert uuid.UUID(newest[0]["uuid"])
    # 2.59 pages by uuid, newest first, with a next link on a full page.
    page = api.get("/compute/v2.1/os-migrations", params={"limit": 1}, headers=at("2.59")).json()
    assert [m["uuid"] for m in page["migrations"]] == [newest[0]["uuid"]]
    assert "marker=" in page["migrations_links"][0]["href"]
    after = api.get("/compute/v2.1/os-migrations", params={"marker": newest[0]["uuid"]}, headers=at("2.59"))
    assert [m["uuid"] for m in after.json()["migrations"]] == [m["uuid"] for m in newest[1:]]
    assert_fault(api.get("/compute/v2.1/os-migrations", params={"marker": str(uuid.uuid4())},
                         headers=at("2.59")), 400)


def backups(api, sid, token) -> list[dict]:
    r = api.get(f"{IMAGES}/detail", params={"server": f"http://x/servers/{sid}", "type": "backup"}, token=token)
    assert r.status_code == 200, r.text
    return r.json()["images"]


def test_create_backup_rotates_and_the_image_proxy_filters_by_server_and_type(api, sam):
    sid = boot(api, sam, name="bk")
    made = []
    for n in range(3):
        r = api.action(sid, {"createBackup": {"name": f"daily-{n}", "backup_type": "daily", "rotation": 2}},
                       token=sam)
        assert r.status_code == 202, r.text
        made.append(r.headers["Location"].rsplit("/", 1)[1])
        api.wait_until(lambda: api.server(sid)["OS-EXT-STS:task_state"] is None, what="backup done")
    # The oldest beyond the rotation of 2 is gone; the two newest stay, of image_type backup.
    assert sorted(i["id"] for i in backups(api, sid, sam)) == sorted(made[1:])
    assert_fault(api.get(f"{IMAGES}/{made[0]}", token=sam), 404)
    # Glance filters on any property, and lists oldest first when asked (what Tempest checks the rotation by).
    glance = api.get("/image/v2/images", token=sam, params={
        "image_type": "backup", "backup_type": "daily", "instance_uuid": sid, "sort_key": "created_at",
        "sort_dir": "asc", "limit": 1}).json()
    assert [i["name"] for i in glance["images"]] == ["daily-1"] and "sort_dir=asc" in glance["next"]
    # The service's own keys are no filters (a rotation of 2 is stored on each of these backups).
    assert api.get("/image/v2/images", token=sam, params={"_backup_rotation": "2"}).json()["images"] == []
    r = act(api, sid, {"createBackup": {"name": "weekly", "backup_type": "weekly", "rotation": 1}}, sam, "2.45")
    assert r.status_code == 202 and "image_id" in r.json()
    api.wait_until(lambda: api.server(sid)["OS-EXT-STS:task_state"] is None, what="backup done")
    assert len(backups(api, sid, sam)) == 3  # another type: not rotated with the daily ones
    # A snapshot is type snapshot, not backup; `server` takes an id too.
    snap = act(api, sid, {"createImage": {"name": "snap"}}, sam, "2.45").json()["image_id"]
    api.wait_until(lambda: api.server(sid)["OS-EXT-STS:task_state"] is None, what="snapshot done")
    listed = api.get(IMAGES, params={"server": sid, "type": "snapshot"}, token=sam).json()["images"]
    assert [i["id"] for i in listed] == [snap]
    assert api.get(f"/image/v2/images/{snap}/tasks", token=sam).json() == {"tasks": []}
    for bad in ({"name": "x", "backup_type": "daily"}, {"name": "x", "backup_type": "d", "rotation": -1},
                {"name": "x", "backup_type": "d", "rotation": 1, "other": 1}):
        assert_fault(api.action(sid, {"createBackup": bad}, token=sam), 400)


def test_server_password_inject_network_info_and_diagnostics_driver(api, sam):
    sid = boot(api, sam, name="pw")
    path = f"{SERVERS}/{sid}/os-server-password"
    assert api.get(path, token=sam).json() == {"password": ""}
    assert api.delete(path, token=sam).status_code == 204
    assert_fault(api.get(f"{SERVERS}/{uuid.uuid4()}/os-server-password", token=sam), 404)
    assert_fault(api.action(sid, {"injectNetworkInfo": None}, token=sam), 403)  # admin only
    assert api.action(sid, {"injectNetworkInfo": None}).status_code == 202
    diag = api.get(f"{SERVERS}/{sid}/diagnostics", headers=at("2.48")).json()
    assert diag["driver"] == "libvirt"  # Nova's fake driver names itself so; the 2.48 enum has no 'fake'


def test_create_schema_update_access_addresses_and_resize_quota(api, sam):
    image = api.image_id()
    for server, words in (({"name": 12345}, "name"),
                          ({"name": "x", "block_device_mapping_v2": [
                              {"source_type": "image", "uuid": image, "boot_index": 0, "destination_type": "local"},
                              {"source_type": "volume", "uuid": image, "destination_type": "invalid"}]}, "invalid"),
                          ({"name": "x", "security_groups": [{"name": "does_not_exist"}]}, "does_not_exist")):
        r = api.post(SERVERS, json={"server": {"imageRef": image, "flavorRef": "1", **server}}, token=sam)
        assert_fault(r, 400, words)
    sid = boot(api, sam, name="acc")
    r = api.request("PUT", f"{SERVERS}/{sid}", token=sam,
                    json={"server": {"accessIPv4": "1.1.1.1", "accessIPv6": "::babe:202:202"}})
    assert r.status_code == 200, r.text
    server = api.server(sid, token=sam)
    assert (server["accessIPv4"], server["accessIPv6"]) == ("1.1.1.1", "::babe:202:202")
    assert_fault(api.request("PUT", f"{SERVERS}/{sid}", token=sam, json={"server": {"accessIPv4": "1.1"}}), 400)
    assert api.action(sid, {"os-stop": None}, token=sam).status_code == 202
    assert "progress" not in api.wait_status(sid, "SHUTOFF")  # Nova shows it only in ACTIVE, BUILD, ...
    # The project's RAM quota is 10240 MB: a resize past it is refused before anything is scheduled.
    new_flavor(api, "too-big", ram=10240 + 1)
    assert_fault(api.action(sid, {"resize": {"flavorRef": "too-big"}}, token=sam), 403, "Quota exceeded for ram")
    assert api.server(sid, token=sam)["status"] == "SHUTOFF"



def test_a_readers_write_to_another_projects_server_is_a_404(api, sam):
    """Nova looks the server up before its policy: a reader elsewhere learns nothing (404); a reader of the
    server's own project is refused (403)."""
    for user, project in (("rex", "elsewhere"), ("rhea", "singles")):
        api.manage("user_create", user, "--project", project, "--role", "reader", USER_PASSWORD=f"{user}-pw")
    rex, rhea = api.token("rex", "rex-pw", "elsewhere"), api.token("rhea", "rhea-pw", "singles")
    sid = boot(api, sam, name="read")
    for token, code in ((rex, 404), (rhea, 403)):
        assert_fault(api.request("PUT", f"{SERVERS}/{sid}", token=token, json={"server": {"name": "x"}}), code)
        assert_fault(api.delete(f"{SERVERS}/{sid}", token=token), code)
        assert_fault(api.action(sid, {"os-stop": None}, token=token), code)
        assert_fault(api.delete(f"{SERVERS}/{sid}/os-server-password", token=token), code)
    assert api.server(sid, token=rhea)["status"] == "ACTIVE"

def test_servers_filtered_by_ip(api, sam):
    """Nova's `ip` filter: the servers with a fixed address containing it (`^`, `$` and `\\.` stripped)."""
    net = api.post("/network/v2.0/networks", json={"network": {"name": "shared", "shared": True}}).json()["network"]
    r = api.post("/network/v2.0/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.77.0.0/24",
                                                           "ip_version": 4}})
    assert r.status_code == 201, r.text
    sids = [boot(api, sam, name=f"ip{n}") for n in range(2)]
    addrs = {sid: api.server(sid, token=sam)["addresses"]["shared"][0]["addr"] for sid in sids}

    def listed(**params):
        return {s["id"] for s in api.get(SERVERS, params=params, token=sam).json()["servers"]}

    for sid, addr in addrs.items():
        assert listed(ip=addr) == {sid} and listed(ip="^" + addr.replace(".", "\\.") + "$") == {sid}
    assert listed(ip="10.77.0.") == set(sids) and listed(ip="10.99.") == set() and listed(ip6="10.77") == set()
