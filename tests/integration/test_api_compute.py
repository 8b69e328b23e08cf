"""The Nova v2.1 API against a live stack: shapes, status codes, project isolation, validation,
concurrency, pagination, filters, flavors, services, scheduling, hypervisors, limits, zones."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .faults import assert_fault


SERVERS = "/compute/v2.1/servers"
USERS = {"alice": "alpha", "bob": "beta", "carol": "gamma", "erin": "epsilon"}  # member -> project


STACK = {"users": USERS}  # the module's shared stack (conftest `api`): two fake hosts


@pytest.fixture(scope="module")
def tokens(api):
    return {user: api.token(user, f"{user}-pw", project) for user, project in USERS.items()}


def project_id(api, token) -> str:
    r = requests.get(api.url("/identity/v3/auth/tokens"), timeout=30,
                     headers={"X-Auth-Token": token, "X-Subject-Token": token})
    return r.json()["token"]["project"]["id"]


def boot_id(api, token=None, **kw) -> str:
    r = api.boot(token=token, **kw)
    assert r.status_code == 202, r.text
    return r.json()["server"]["id"]


def ids(r) -> list[str]:
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()["servers"]]


def raw(api, method, path, token, data, content_type="application/json"):
    return requests.request(method, api.url(path), data=data, timeout=30,
                            headers={"X-Auth-Token": token, "Content-Type": content_type})


# ---- shapes --------------------------------------------------------------------------------------

def test_create_show_list_and_delete_shapes(api, tokens):
    alice = tokens["alice"]
    r = api.boot(name="shape", token=alice, metadata={"role": "web"})
    assert r.status_code == 202, r.text
    server = r.json()["server"]
    assert set(server) >= {"id", "links", "adminPass", "OS-DCF:diskConfig", "security_groups"}
    sid = server["id"]
    assert r.headers["Location"] == server["links"][0]["href"]
    assert [link["rel"] for link in server["links"]] == ["self", "bookmark"]
    assert server["links"][0]["href"].endswith(f"/compute/v2.1/{project_id(api, alice)}/servers/{sid}")

    listed = api.get(SERVERS, token=alice).json()["servers"]
    assert {"id": sid, "name": "shape", "links": server["links"]} in listed

    api.wait_status(sid, "ACTIVE")
    shown = api.get(f"{SERVERS}/{sid}", token=alice)
    assert shown.status_code == 200
    detail = shown.json()["server"]
    for key in ("id", "name", "status", "tenant_id", "user_id", "metadata", "hostId", "image", "flavor",
                "created", "updated", "addresses", "links", "OS-EXT-STS:vm_state", "OS-EXT-STS:task_state",
                "OS-EXT-STS:power_state", "OS-EXT-AZ:availability_zone", "OS-SRV-USG:launched_at"):
        assert key in detail, key
    assert detail["status"] == "ACTIVE" and detail["metadata"] == {"role": "web"}
    assert detail["flavor"]["id"] == "1" and detail["image"]["id"] == api.image_id()
    assert detail["tenant_id"] == project_id(api, alice) and detail["OS-EXT-AZ:availability_zone"] == "nova"
    assert not any(k.startswith("OS-EXT-SRV-ATTR:") for k in detail)  # admin-only attributes
    admin_view = api.server(sid)
    assert admin_view["OS-EXT-SRV-ATTR:host"] in api.hosts
    assert admin_view["OS-EXT-SRV-ATTR:instance_name"].startswith("instance-")

    details = api.get(f"{SERVERS}/detail", token=alice).json()["servers"]
    assert [d for d in details if d["id"] == sid][0]["status"] == "ACTIVE"

    r = api.delete(f"{SERVERS}/{sid}", token=alice)
    assert r.status_code == 204 and r.content == b""
    api.wait_gone(sid)
    assert_fault(api.get(f"{SERVERS}/{sid}", token=alice), 404, sid)
    assert api.delete(f"{SERVERS}/{sid}", token=alice).status_code == 404
    # The action log of a deleted server stays readable from microversion 2.21 (404 before, as Nova).
    assert api.get(f"{SERVERS}/{sid}/os-instance-actions", token=alice).status_code == 404
    actions = api.get(f"{SERVERS}/{sid}/os-instance-actions", token=alice,
                      headers={"OpenStack-API-Version": "compute 2.21"}).json()["instanceActions"]
    assert [a["action"] for a in actions] == ["delete", "create"]
    assert set(actions[0]) >= {"action", "instance_uuid", "message", "project_id", "request_id", "start_time",
                               "user_id"}


# ---- project isolation ---------------------------------------------------------------------------

def test_projects_are_isolated_and_admins_see_all_tenants_on_request(api, tokens):
    alice, bob = tokens["alice"], tokens["bob"]
    a_sid = boot_id(api, token=alice, name="iso-a")
    b_sid = boot_id(api, token=bob, name="iso-b")
    admin_sid = boot_id(api, name="iso-admin")

    msg = assert_fault(api.get(f"{SERVERS}/{a_sid}", token=bob), 404)
    assert msg == f"Instance {a_sid} could not be found."  # the same as for a server that never existed
    assert_fault(api.action(a_sid, {"os-stop": None}, token=bob), 404)
    assert_fault(api.action(a_sid, {"no-such-action": None}, token=bob), 404)
    assert_fault(api.delete(f"{SERVERS}/{a_sid}", token=bob), 404)
    assert_fault(api.get(f"{SERVERS}/{a_sid}/os-instance-actions", token=bob), 404)
    assert a_sid not in ids(api.get(SERVERS, token=bob))
    assert a_sid not in ids(api.get(f"{SERVERS}/detail", token=bob))
    assert a_sid not in ids(api.get(SERVERS, token=bob, params={"all_tenants": "1"}))  # members cannot widen
    assert b_sid in ids(api.get(SERVERS, token=bob))
    assert api.server(a_sid, token=alice)["name"] == "iso-a"  # bob's delete did nothing

    mine = ids(api.get(SERVERS))
    assert admin_sid in mine and a_sid not in mine and b_sid not in mine
    everyone = ids(api.get(f"{SERVERS}/detail", params={"all_tenants": "1"}))
    assert {a_sid, b_sid, admin_sid} <= set(everyone)
    only_alpha = ids(api.get(SERVERS, params={"all_tenants": "1", "tenant_id": project_id(api, alice)}))
    assert a_sid in only_alpha and b_sid not in only_alpha and admin_sid not in only_alpha
    assert api.get(f"{SERVERS}/{a_sid}").status_code == 200  # an admin may look at any server


# ---- validation ----------------------------------------------------------------------------------

def _without(server, key):
    return {k: v for k, v in server.items() if k != key}


# (id, body from a valid {"name", "imageRef", "flavorRef"} server, what the message must mention)
CREATE_CASES = [
    ("missing-name", lambda s: {"server": _without(s, "name")}, "name"),
    ("blank-name", lambda s: {"server": {**s, "name": "   "}}, "name"),
    ("long-name", lambda s: {"server": {**s, "name": "x" * 256}}, "name"),
    ("missing-flavorRef", lambda s: {"server": _without(s, "flavorRef")}, "flavorRef"),
    ("unknown-flavor", lambda s: {"server": {**s, "flavorRef": "999"}}, "Flavor 999 could not be found."),
    ("unknown-image", lambda s: {"server": {**s, "imageRef": str(uuid.UUID(int=7))}},
     f"Image {uuid.UUID(int=7)} could not be found."),
    ("bad-image-id", lambda s: {"server": {**s, "imageRef": "not-a-uuid"}}, "could not be found"),
    ("metadata-not-an-object", lambda s: {"server": {**s, "metadata": ["a"]}}, "metadata"),
    ("user-data-not-base64", lambda s: {"server": {**s, "user_data": "not base64!"}}, "user_data"),
    ("min-count-above-max", lambda s: {"server": {**s, "min_count": 3, "max_count": 2}}, "min_count"),
    ("unknown-zone", lambda s: {"server": {**s, "availability_zone": "nowhere"}},
     "The requested availability zone is not available"),  # Nova's: checked before scheduling
    ("hints-not-an-object", lambda s: {"server": s, "os:scheduler_hints": []}, "scheduler_hints"),
    ("server-not-an-object", lambda s: {"server": "v"}, "'server'"),
    ("no-server-key", lambda s: s, "'server'"),
    ("list-body", lambda s: [s], "'server'"),
]


@pytest.mark.parametrize("make_body,expect", [pytest.param(m, e, id=i) for i, m, e in CREATE_CASES])
def test_invalid_create_requests_are_400_and_create_nothing(api, make_body, expect):
    # Nova answers an unknown flavor or image on boot with 400 (FlavorNotFound -> HTTPBadRequest).
    body = make_body({"name": "v", "imageRef": api.image_id(), "flavorRef": "1"})
    before = api.get("/compute/v2.1/limits").json()["limits"]["absolute"]["totalInstancesUsed"]
    assert_fault(api.post(SERVERS, json=body), 400, expect)
    assert api.get("/compute/v2.1/limits").json()["limits"]["absolute"]["totalInstancesUsed"] == before


def test_request_bodies_that_are_not_json(api):
    token = api.token()
    sid = boot_id(api, name="nonjson")
    assert_fault(raw(api, "POST", SERVERS, token, "{not json"), 400, "Malformed request body")
    assert_fault(raw(api, "POST", f"{SERVERS}/{sid}/action", token, "os-stop"), 400, "Malformed request body")
    assert_fault(raw(api, "POST", "/compute/v2.1/flavors", token, "{"), 400)
    assert_fault(raw(api, "POST", SERVERS, token, "{}", content_type="text/plain"), 415)
    assert_fault(api.request("PUT", SERVERS), 405)
    assert_fault(api.post(f"{SERVERS}/detail", json={}), 405)
    assert_fault(api.post("/compute/v2.1/flavors/detail", json={"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": 0}}), 405)
    assert_fault(api.get("/compute/v2.1/no-such-collection"), 404)


@pytest.fixture(scope="module")
def active_server(api):
    sid = boot_id(api, name="acted-on")
    api.wait_status(sid, "ACTIVE")
    return sid


@pytest.mark.parametrize("body,expect", [
    pytest.param({"no-such-action": None}, "There is no such action: no-such-action", id="unknown-action"),
    pytest.param({"reboot": {"type": "WARM"}}, "type", id="reboot-bad-type"),
    pytest.param({"reboot": {}}, "type", id="reboot-no-type"),
    pytest.param({"reboot": None}, "type", id="reboot-null"),
    pytest.param({"os-getConsoleOutput": {"length": "ten"}}, "length", id="console-bad-length"),
    pytest.param({"os-stop": None, "os-start": None}, "exactly one", id="two-actions"),
    pytest.param({}, "exactly one", id="empty-object"),
    pytest.param(["os-stop"], "exactly one", id="list"),
])
def test_invalid_actions_are_400(api, active_server, body, expect):
    assert_fault(api.action(active_server, body), 400, expect)
    assert api.server(active_server)["OS-EXT-STS:task_state"] is None  # nothing started


def test_actions_on_missing_servers_are_404(api):
    assert_fault(api.action(str(uuid.uuid4()), {"os-stop": None}), 404, "could not be found")
    assert_fault(api.action("not-a-uuid", {"os-stop": None}), 404)
    assert_fault(api.get(f"{SERVERS}/not-a-uuid"), 404)


# ---- concurrency ---------------------------------------------------------------------------------

def test_concurrent_actions_on_one_server_start_exactly_one(api):
    sid = boot_id(api, name="racy")
    api.wait_status(sid, "ACTIVE")
    token = api.token()
    barrier = threading.Barrier(10)

    def stop(_):
        with requests.Session() as session:
            session.headers["X-Auth-Token"] = token
            barrier.wait(timeout=30)
            return session.post(api.url(f"{SERVERS}/{sid}/action"), json={"os-stop": None}, timeout=60)

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(stop, range(10)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [202] + [409] * 9, [(r.status_code, r.text) for r in responses]
    for r in responses:
        if r.status_code == 409:
            assert_fault(r, 409, "Cannot 'stop' instance")
    api.wait_status(sid, "SHUTOFF")
    actions = api.get(f"{SERVERS}/{sid}/os-instance-actions").json()["instanceActions"]
    assert [a["action"] for a in actions] == ["stop", "create"]


# ---- pagination and filters ----------------------------------------------------------------------

def test_pagination_with_limit_and_marker(api, tokens):
    carol = tokens["carol"]  # a project of its own, so the count is exact
    booted = [boot_id(api, token=carol, name=f"page-{i}") for i in range(5)]
    newest_first = list(reversed(booted))

    for path in (SERVERS, f"{SERVERS}/detail"):
        first = api.get(path, token=carol, params={"limit": 2})
        assert first.status_code == 200, first.text
        body = first.json()
        assert ids(first) == newest_first[:2]
        (link,) = body["servers_links"]
        assert link["rel"] == "next" and link["href"].startswith(api.url(path + "?"))
        assert f"marker={newest_first[1]}" in link["href"] and "limit=2" in link["href"]

        seen, pages, href = [], 0, api.url(path) + "?limit=2"
        while href:
            r = requests.get(href, headers={"X-Auth-Token": carol}, timeout=30)
            seen += ids(r)
            pages += 1
            links = r.json().get("servers_links", [])
            href = links[0]["href"] if links else None
        assert seen == newest_first and pages == 3  # 2 + 2 + 1, each exactly once

    assert ids(api.get(SERVERS, token=carol, params={"limit": 5})) == newest_first
    assert ids(api.get(SERVERS, token=carol, params={"limit": 0})) == []
    assert ids(api.get(SERVERS, token=carol, params={"marker": booted[0]})) == []
    assert_fault(api.get(SERVERS, token=carol, params={"marker": str(uuid.uuid4())}), 400, "marker")
    assert_fault(api.get(SERVERS, token=carol, params={"marker": "nope"}), 400, "marker")
    assert_fault(api.get(SERVERS, token=carol, params={"limit": "two"}), 400, "limit")
    assert_fault(api.get(SERVERS, token=carol, params={"limit": "-1"}), 400, "limit")


def test_name_and_status_filters(api):
    a, b = boot_id(api, name="flt-apple"), boot_id(api, name="flt-banana")
    api.wait_status(a, "ACTIVE")
    api.wait_status(b, "ACTIVE")
    assert api.action(b, {"os-stop": None}).status_code == 202
    api.wait_status(b, "SHUTOFF")

    def listed(**params):
        return set(ids(api.get(f"{SERVERS}/detail", params=params)))

    assert listed(name="^flt-") == {a, b}
    assert listed(name="flt-app") == {a}  # a regular expression, matched anywhere, as Nova does
    assert listed(name="^flt-", status="SHUTOFF") == {b}
    assert listed(name="^flt-", status="active") == {a}
    assert listed(name="^flt-", status="PAUSED") == set()
    assert listed(status="NO-SUCH-STATUS") == set()  # Nova 2.1 answers an unknown status with nothing
    assert listed(name="^no-such-name$") == set()
    for bad in ("[", "(a)\\1", "a**"):  # invalid, or needing backtracking (RE2 refuses it): 400
        assert_fault(api.get(SERVERS, params={"name": bad}), 400, "regular expression")
    assert_fault(api.get(SERVERS, params={"changes-since": "yesterday"}), 400, "changes-since")


# ---- flavors -------------------------------------------------------------------------------------

def test_flavors_list_show_and_admin_only_management(api, tokens):
    alice = tokens["alice"]
    listed = api.get("/compute/v2.1/flavors", token=alice).json()["flavors"]
    assert {"id", "name", "links"} == set(listed[0])
    detail = {f["id"]: f for f in api.get("/compute/v2.1/flavors/detail", token=alice).json()["flavors"]}
    assert detail["1"]["name"] == "m1.tiny" and detail["1"]["ram"] == 512 and detail["1"]["vcpus"] == 1
    assert {"disk", "OS-FLV-EXT-DATA:ephemeral", "os-flavor-access:is_public", "swap", "rxtx_factor"} <= set(
        detail["1"])
    assert api.get("/compute/v2.1/flavors/1", token=alice).json()["flavor"]["name"] == "m1.tiny"
    assert_fault(api.get("/compute/v2.1/flavors/no-such-flavor", token=alice), 404, "no-such-flavor")

    new = {"flavor": {"name": "api.test", "ram": 256, "vcpus": 2, "disk": 5, "id": "api-test"}}
    assert_fault(api.post("/compute/v2.1/flavors", token=alice, json=new), 403)
    assert_fault(api.delete("/compute/v2.1/flavors/1", token=alice), 403)
    assert api.get("/compute/v2.1/flavors/1").status_code == 200  # still there

    r = api.post("/compute/v2.1/flavors", json=new)
    assert r.status_code == 200, r.text  # Nova answers 200 to a flavor create
    flavor = r.json()["flavor"]
    assert (flavor["id"], flavor["name"], flavor["ram"], flavor["vcpus"], flavor["disk"]) == (
        "api-test", "api.test", 256, 2, 5)
    assert "api-test" in [f["id"] for f in api.get("/compute/v2.1/flavors", token=alice).json()["flavors"]]
    assert_fault(api.post("/compute/v2.1/flavors", json=new), 409, "already exists")
    assert_fault(api.post("/compute/v2.1/flavors", json={"flavor": {**new["flavor"], "id": "other"}}), 409)
    for bad in ({"ram": 0}, {"vcpus": "many"}, {"disk": -1}, {"ram": 2**40}, {"name": ""},
                {"OS-FLV-EXT-DATA:ephemeral": -1}):
        assert_fault(api.post("/compute/v2.1/flavors", json={"flavor": {**new["flavor"], "id": "x", **bad}}), 400)
    assert_fault(api.post("/compute/v2.1/flavors", json={"name": "x"}), 400, "flavor")

    r = api.delete("/compute/v2.1/flavors/api-test")
    assert r.status_code == 202, r.text
    assert_fault(api.get("/compute/v2.1/flavors/api-test"), 404)
    assert "api-test" not in [f["id"] for f in api.get("/compute/v2.1/flavors").json()["flavors"]]
    assert_fault(api.delete("/compute/v2.1/flavors/api-test"), 404)


# ---- services and scheduling ---------------------------------------------------------------------

def _toggle(api, verb, host, **extra):
    r = api.request("PUT", f"/compute/v2.1/os-services/{verb}", json={"host": host, "binary": "nova-compute", **extra})
    assert r.status_code == 200, r.text
    return r.json()["service"]


def test_disabled_hosts_get_no_new_servers(api, tokens):
    services = api.get("/compute/v2.1/os-services").json()["services"]
    assert sorted(s["host"] for s in services) == ["node1", "node2"]
    for s in services:
        assert set(s) >= {"id", "binary", "host", "zone", "status", "state", "updated_at", "disabled_reason"}
        assert "forced_down" not in s  # from microversion 2.11
        assert (s["binary"], s["zone"], s["status"], s["state"]) == ("nova-compute", "nova", "enabled", "up")
    assert [s["host"] for s in api.get("/compute/v2.1/os-services", params={"host": "node2"}).json()["services"]] \
        == ["node2"]
    assert_fault(api.get("/compute/v2.1/os-services", token=tokens["alice"]), 403)
    assert_fault(api.request("PUT", "/compute/v2.1/os-services/disable", token=tokens["alice"],
                             json={"host": "node1", "binary": "nova-compute"}), 403)
    assert_fault(api.request("PUT", "/compute/v2.1/os-services/disable", json={"host": "node9"}), 404)
    assert_fault(api.request("PUT", "/compute/v2.1/os-services/reboot", json={"host": "node1"}), 404)
    assert_fault(api.request("PUT", "/compute/v2.1/os-services/disable-log-reason", json={"host": "node1"}), 400)
    assert {s["status"] for s in api.get("/compute/v2.1/os-services").json()["services"]} == {"enabled"}

    try:
        assert _toggle(api, "disable", "node1") == {"host": "node1", "binary": "nova-compute", "status": "disabled"}
        placed = [api.server(boot_id(api, name=f"svc-{i}"))["OS-EXT-SRV-ATTR:host"] for i in range(3)]
        assert placed == ["node2"] * 3
        assert _toggle(api, "enable", "node1")["status"] == "enabled"
        service = _toggle(api, "disable-log-reason", "node2", disabled_reason="maintenance")
        assert service["status"] == "disabled" and service["disabled_reason"] == "maintenance"
        listed = {s["host"]: s for s in api.get("/compute/v2.1/os-services").json()["services"]}
        assert listed["node2"]["status"] == "disabled" and listed["node2"]["disabled_reason"] == "maintenance"
        assert api.server(boot_id(api, name="svc-back"))["OS-EXT-SRV-ATTR:host"] == "node1"
    finally:
        _toggle(api, "enable", "node1")
        _toggle(api, "enable", "node2")
    assert {s["status"] for s in api.get("/compute/v2.1/os-services").json()["services"]} == {"enabled"}


def test_a_server_no_host_can_take_ends_in_error_with_no_valid_host(api, tokens):
    r = api.post("/compute/v2.1/flavors", json={"flavor": {"name": "vast", "id": "vast", "ram": 256, "vcpus": 1,
                                                           "disk": 2**30}})  # no quota on disk: only hosts
    assert r.status_code == 200, r.text
    sid = boot_id(api, token=tokens["alice"], name="nowhere", flavor="vast")
    server = api.wait_status(sid, "ERROR")
    assert server["OS-EXT-STS:vm_state"] == "error" and server["OS-EXT-SRV-ATTR:host"] is None
    member_view = api.server(sid, token=tokens["alice"])
    assert member_view["status"] == "ERROR"
    assert "No valid host" in member_view["fault"]["message"] and member_view["fault"]["code"] == 500
    (action,) = api.get(f"{SERVERS}/{sid}/os-instance-actions", token=tokens["alice"]).json()["instanceActions"]
    assert action["action"] == "create" and action["message"] == "Error"
    # Stop is allowed from ERROR, but there is no host to stop it on: a 409 that says so.
    refused = api.action(sid, {"os-stop": None}, token=tokens["alice"])
    assert refused.status_code == 409
    assert "never placed on a host" in refused.json()["conflictingRequest"]["message"]
    assert api.delete(f"{SERVERS}/{sid}", token=tokens["alice"]).status_code == 204
    api.wait_gone(sid)
    assert api.delete("/compute/v2.1/flavors/vast").status_code == 202


def test_boot_into_a_named_zone(api):
    sid = boot_id(api, name="in-nova", availability_zone="nova")
    assert api.wait_status(sid, "ACTIVE")["OS-EXT-AZ:availability_zone"] == "nova"


# ---- hypervisors, limits, zones ------------------------------------------------------------------

def test_hypervisors_are_admin_only_and_add_up(api, tokens):
    listed = api.get("/compute/v2.1/os-hypervisors").json()["hypervisors"]
    assert sorted(h["hypervisor_hostname"] for h in listed) == ["node1", "node2"]
    assert all(set(h) == {"id", "hypervisor_hostname", "state", "status"} for h in listed)
    assert {(h["state"], h["status"]) for h in listed} == {("up", "enabled")}

    detail = api.get("/compute/v2.1/os-hypervisors/detail").json()["hypervisors"]
    keys = ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used", "free_ram_mb",
            "free_disk_gb", "running_vms", "current_workload", "disk_available_least")
    for h in detail:
        assert set(keys) | {"hypervisor_type", "hypervisor_version", "host_ip", "service", "cpu_info"} <= set(h)
        assert h["free_ram_mb"] == h["memory_mb"] - h["memory_mb_used"] and h["service"]["host"] == \
            h["hypervisor_hostname"]
        assert all(isinstance(h[k], int) for k in keys)

    stats = api.get("/compute/v2.1/os-hypervisors/statistics").json()["hypervisor_statistics"]
    assert stats["count"] == 2 and set(stats) == set(keys) | {"count"}
    for key in ("vcpus", "memory_mb", "local_gb"):  # the totals do not move while servers come and go
        assert stats[key] == sum(h[key] for h in detail), key

    one = api.get(f"/compute/v2.1/os-hypervisors/{listed[0]['id']}")
    assert one.status_code == 200 and one.json()["hypervisor"]["hypervisor_hostname"] == listed[0]["hypervisor_hostname"]
    assert_fault(api.get("/compute/v2.1/os-hypervisors/99999"), 404)
    assert_fault(api.get("/compute/v2.1/os-hypervisors/node1"), 404)
    for path in ("os-hypervisors", "os-hypervisors/detail", "os-hypervisors/statistics",
                 f"os-hypervisors/{listed[0]['id']}"):
        assert_fault(api.get(f"/compute/v2.1/{path}", token=tokens["alice"]), 403, "Policy")


def test_limits_count_the_projects_servers(api, tokens):
    erin, bob = tokens["erin"], tokens["bob"]

    def absolute(token):
        r = api.get("/compute/v2.1/limits", token=token)
        assert r.status_code == 200, r.text
        assert r.json()["limits"]["rate"] == []
        return r.json()["limits"]["absolute"]

    empty = absolute(erin)
    assert (empty["totalInstancesUsed"], empty["totalCoresUsed"], empty["totalRAMUsed"]) == (0, 0, 0)
    assert {"maxTotalInstances", "maxTotalCores", "maxTotalRAMSize"} <= set(empty)
    bob_before = absolute(bob)["totalInstancesUsed"]

    first = boot_id(api, token=erin, name="lim-1")
    boot_id(api, token=erin, name="lim-2", flavor="2")
    used = absolute(erin)
    assert (used["totalInstancesUsed"], used["totalCoresUsed"], used["totalRAMUsed"]) == (2, 2, 512 + 2048)
    assert absolute(bob)["totalInstancesUsed"] == bob_before

    api.wait_status(first, "ACTIVE")
    assert api.delete(f"{SERVERS}/{first}", token=erin).status_code == 204
    api.wait_gone(first)
    assert absolute(erin)["totalInstancesUsed"] == 1


def test_availability_zones(api, tokens):
    r = api.get("/compute/v2.1/os-availability-zone", token=tokens["alice"])
    assert r.status_code == 200
    assert r.json() == {"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": True},
                                                  "hosts": None}]}
    (zone,) = api.get("/compute/v2.1/os-availability-zone/detail").json()["availabilityZoneInfo"]
    assert zone["zoneName"] == "nova" and sorted(zone["hosts"]) == ["node1", "node2"]
    service = zone["hosts"]["node1"]["nova-compute"]
    assert service["available"] is True and service["active"] is True and service["updated_at"]
    assert_fault(api.get("/compute/v2.1/os-availability-zone/detail", token=tokens["alice"]), 403)


# ---- legacy paths and the schema -----------------------------------------------------------------

def test_the_legacy_project_id_path(api, tokens):
    alice = tokens["alice"]
    pid = project_id(api, alice)
    legacy = f"/compute/v2.1/{pid}/servers"
    r = api.post(legacy, token=alice, json={"server": {"name": "legacy", "imageRef": api.image_id(),
                                                        "flavorRef": "1"}})
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    assert sid in ids(api.get(legacy, token=alice))
    assert sid in ids(api.get(f"{legacy}/detail", token=alice))
    shown = api.get(f"{legacy}/{sid}", token=alice)
    assert shown.status_code == 200 and shown.json()["server"]["name"] == "legacy"
    assert api.get(f"/compute/v2.1/{pid}/flavors/1", token=alice).json()["flavor"]["id"] == "1"
    assert "absolute" in api.get(f"/compute/v2.1/{pid}/limits", token=alice).json()["limits"]
    # The token decides the project: another project's id in the path grants nothing (Nova answers
    # 400 "URL's project_id doesn't match"; this API ignores the path's id and answers 404).
    foreign = api.get(f"/compute/v2.1/{pid}/servers/{sid}", token=tokens["bob"])
    assert foreign.status_code in (400, 404)
    assert_fault(foreign, foreign.status_code)
    api.wait_status(sid, "ACTIVE")
    assert api.action(sid, {"os-stop": None}, token=alice).status_code == 202
    api.wait_status(sid, "SHUTOFF")
    assert api.delete(f"{legacy}/{sid}", token=alice).status_code == 204
    api.wait_gone(sid)


def test_openapi_schema_is_served(api):
    r = requests.get(api.url("/api/schema/"), timeout=60)
    assert r.status_code == 200, r.text[:2000]
    assert "openapi" in r.text[:200] and "/compute/v2.1/servers" in r.text
    assert "/identity/v3/auth/tokens" in r.text and "/image/v2/images" in r.text
    r = requests.get(api.url("/api/schema/"), params={"format": "json"}, timeout=60)
    assert r.status_code == 200 and "/compute/v2.1/servers/{server_id}/action" in r.json()["paths"]
