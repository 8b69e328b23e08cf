"""os-server-groups against a live stack: the 2.1 shapes, and affinity / anti-affinity honoured by the
scheduler through the `group` hint, including under concurrent boots."""
from concurrent.futures import ThreadPoolExecutor



GROUPS = "/compute/v2.1/os-server-groups"
HOSTS = ["ga", "gb", "gc"]


STACK = {"hosts": HOSTS, "users": {"gus": "grp"}}


def create_group(api, policy, name="g", token=None) -> dict:
    r = api.post(GROUPS, json={"server_group": {"name": name, "policies": [policy]}}, token=token)
    assert r.status_code == 200, r.text
    return r.json()["server_group"]


def boot_in(api, group_id, name, **kw):
    body = {"server": {"name": name, "imageRef": api.image_id(), "flavorRef": "1", **kw},
            "os:scheduler_hints": {"group": group_id}}
    return api.post("/compute/v2.1/servers", json=body)


def settle(api, sid) -> dict:
    return api.wait_until(lambda: (lambda s: s if s["status"] in ("ACTIVE", "ERROR") else None)(api.server(sid)),
                          what=f"server {sid} settled")


def test_shapes_and_validation(api):
    group = create_group(api, "anti-affinity", name="web")
    assert group.keys() == {"id", "name", "policies", "members", "metadata"}
    assert (group["name"], group["policies"], group["members"], group["metadata"]) == ("web", ["anti-affinity"], [], {})
    assert api.get(f"{GROUPS}/{group['id']}").json()["server_group"] == group
    assert group in api.get(GROUPS).json()["server_groups"]
    # Another project neither lists nor shows it.
    gus = api.token("gus", "gus-pw", "grp")
    assert group["id"] not in [g["id"] for g in api.get(GROUPS, token=gus).json()["server_groups"]]
    assert api.get(f"{GROUPS}/{group['id']}", token=gus).status_code == 404
    for bad in ({"name": "x", "policies": ["nearby"]}, {"name": "x", "policies": []},
                {"name": "x", "policies": ["affinity", "anti-affinity"]}, {"name": " ", "policies": ["affinity"]},
                {"policies": ["affinity"]}, {"name": "x"}):
        r = api.post(GROUPS, json={"server_group": bad})
        assert r.status_code == 400 and "badRequest" in r.json(), (bad, r.text)
    assert api.delete(f"{GROUPS}/{group['id']}").status_code == 204
    assert api.get(f"{GROUPS}/{group['id']}").json()["itemNotFound"]["code"] == 404
    assert api.get(f"{GROUPS}/not-a-uuid").status_code == 404


def test_bad_group_hints_are_400(api):
    assert boot_in(api, "not-a-uuid", "h1").status_code == 400
    r = boot_in(api, "00000000-0000-0000-0000-000000000000", "h2")
    assert r.status_code == 400 and "could not be found" in r.json()["badRequest"]["message"]


def test_anti_affinity_spreads_then_fails_with_no_valid_host(api):
    group = create_group(api, "anti-affinity")
    sids = []
    for i in range(len(HOSTS)):
        r = boot_in(api, group["id"], f"aa{i}")
        assert r.status_code == 202, r.text
        sids.append(r.json()["server"]["id"])
    hosts = [settle(api, sid)["OS-EXT-SRV-ATTR:host"] for sid in sids]
    assert sorted(hosts) == HOSTS
    # A fourth member has nowhere to go: ERROR with Nova's no-valid-host fault, and still a member.
    extra = boot_in(api, group["id"], "aa-extra").json()["server"]["id"]
    server = settle(api, extra)
    assert server["status"] == "ERROR" and server["fault"]["message"].startswith("No valid host was found")
    assert "server_group_filter" in server["fault"]["details"]
    assert sorted(api.get(f"{GROUPS}/{group['id']}").json()["server_group"]["members"]) == sorted(sids + [extra])
    # Deleting a member removes it from the group and frees its host for the next member.
    assert api.delete(f"/compute/v2.1/servers/{sids[0]}").status_code == 204
    api.wait_gone(sids[0])
    assert sids[0] not in api.get(f"{GROUPS}/{group['id']}").json()["server_group"]["members"]
    again = boot_in(api, group["id"], "aa-again").json()["server"]["id"]
    assert settle(api, again)["OS-EXT-SRV-ATTR:host"] == hosts[0]


def test_affinity_keeps_members_together(api):
    group = create_group(api, "affinity")
    r = boot_in(api, group["id"], "af", max_count=2)
    assert r.status_code == 202, r.text
    sids = [r.json()["server"]["id"]]
    sids.append(boot_in(api, group["id"], "af-later").json()["server"]["id"])
    members = api.get(f"{GROUPS}/{group['id']}").json()["server_group"]["members"]
    assert len(members) == 3
    hosts = {settle(api, sid)["OS-EXT-SRV-ATTR:host"] for sid in members}
    assert len(hosts) == 1


def test_concurrent_anti_affinity_boots_never_share_a_host(api):
    # Eight boots race for three hosts: exactly three win, each on its own host; the rest are ERROR.
    group = create_group(api, "anti-affinity", name="race")
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda i: boot_in(api, group["id"], f"race{i}"), range(8)))
    assert [r.status_code for r in responses] == [202] * 8, [r.text for r in responses]
    servers = [settle(api, r.json()["server"]["id"]) for r in responses]
    active = [s for s in servers if s["status"] == "ACTIVE"]
    assert sorted(s["OS-EXT-SRV-ATTR:host"] for s in active) == HOSTS
    assert all(s["fault"]["message"].startswith("No valid host") for s in servers if s["status"] == "ERROR")
    assert len(servers) - len(active) == 5


def test_group_quotas(api):
    gus = api.token("gus", "gus-pw", "grp")
    pid = [p for p in api.get("/identity/v3/projects").json()["projects"] if p["name"] == "grp"][0]["id"]
    assert api.request("PUT", f"/compute/v2.1/os-quota-sets/{pid}",
                       json={"quota_set": {"server_groups": 1, "server_group_members": 2}}).status_code == 200
    group = create_group(api, "affinity", token=gus)
    r = api.post(GROUPS, json={"server_group": {"name": "second", "policies": ["affinity"]}}, token=gus)
    assert r.status_code == 403 and r.json()["forbidden"]["message"] == "Quota exceeded, too many server groups."
    body = lambda n: {"server": {"name": n, "imageRef": api.image_id(), "flavorRef": "1"},  # noqa: E731
                      "os:scheduler_hints": {"group": group["id"]}}
    assert api.post("/compute/v2.1/servers", json=body("m1"), token=gus).status_code == 202
    assert api.post("/compute/v2.1/servers", json=body("m2"), token=gus).status_code == 202
    r = api.post("/compute/v2.1/servers", json=body("m3"), token=gus)
    assert r.status_code == 403 and "too many servers in group" in r.json()["forbidden"]["message"]
    limits = api.get("/compute/v2.1/limits", token=gus).json()["limits"]["absolute"]
    assert (limits["maxServerGroups"], limits["totalServerGroupsUsed"], limits["maxServerGroupMembers"]) == (1, 1, 2)
