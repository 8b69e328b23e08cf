"""Hostile or out-of-range list parameters answer 4xx in the OpenStack shape, never a 500 or a stuck
worker: paging values on every list (one parser), limit and marker honoured on flavors and key pairs,
and a catastrophic-backtracking server name regex answered at once."""
import time

import pytest

from .faults import assert_fault

HUGE = "99999999999999999999"  # past PostgreSQL's bigint
SERVERS = "/compute/v2.1/servers"
GROUPS = "/compute/v2.1/os-server-groups"
FLAVORS = "/compute/v2.1/flavors"
KEYPAIRS = "/compute/v2.1/os-keypairs"

STACK = {"hosts": ["node1"], "users": {"alice": "alpha"}}


@pytest.fixture(scope="module")
def alice(api):
    return api.token("alice", "alice-pw", "alpha")


def test_image_list_limit_zero_is_empty_and_junk_is_400(api):
    r = api.get("/image/v2/images", params={"limit": "0"})  # a 500 once: the "next" link indexed nothing
    assert r.status_code == 200 and r.json()["images"] == [] and "next" not in r.json(), r.text  # as Glance
    assert_fault(api.get("/image/v2/images", params={"limit": "-1"}), 400, "limit param must be positive")
    assert_fault(api.get("/image/v2/images", params={"limit": "many"}), 400, "limit param must be an integer")
    assert_fault(api.get("/image/v2/images", params={"limit": HUGE}), 400, "limit param must be at most")
    assert len(api.get("/image/v2/images", params={"limit": "1"}).json()["images"]) == 1


@pytest.mark.parametrize("param, value, message", [
    ("limit", HUGE, "limit param must be at most 2147483647"),
    ("offset", HUGE, "offset param must be at most 2147483647"),
    ("offset", "x", "offset param must be an integer"),
    ("offset", "-1", "offset param must be positive"),
    ("limit", "-1", "limit param must be positive"),
])
def test_server_group_paging_values_are_bounded(api, param, value, message):
    assert_fault(api.get(GROUPS, params={param: value}), 400, message)


def test_server_group_limit_and_offset_page(api, alice):
    made = [api.post(GROUPS, token=alice, json={"server_group": {"name": f"pg-{i}", "policies": ["affinity"]}})
            .json()["server_group"]["id"] for i in range(3)]

    def page(**params):
        r = api.get(GROUPS, token=alice, params=params)
        assert r.status_code == 200, r.text
        return [g["id"] for g in r.json()["server_groups"]]

    assert page() == made  # oldest first
    assert page(limit=2) == made[:2] and page(limit=2, offset=2) == made[2:]
    assert page(limit=1000000) == made  # a large limit is capped, as Nova caps it
    assert page(offset=2147483647) == []
    assert page(limit=0) == []  # an empty page, as Nova


def test_server_list_paging_values_are_bounded(api, alice):
    for params, message in (({"limit": "-1"}, "positive"), ({"limit": HUGE}, "at most"),
                            ({"marker": "m" * 300}, "not found"), ({"marker": "no-such-server"}, "not found")):
        assert_fault(api.get(SERVERS, token=alice, params=params), 400, message)


def walk(api, path, key, token, limit):
    """Every item of a list, following its `<key>_links` next links `limit` at a time."""
    seen, pages, url = [], 0, api.url(f"{path}?limit={limit}")
    while url:
        r = api.request("GET", url[len(api.url("")):], token=token)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body[key]) <= limit
        seen += body[key]
        links = body.get(f"{key}_links", [])
        url = links[0]["href"] if links else None
        pages += 1
    return seen, pages


def test_flavor_list_honours_limit_and_marker(api, alice):
    every = [f["id"] for f in api.get(FLAVORS, token=alice).json()["flavors"]]
    assert len(every) >= 3
    first = api.get(FLAVORS, token=alice, params={"limit": 1}).json()
    assert [f["id"] for f in first["flavors"]] == every[:1]
    assert f"marker={every[0]}" in first["flavors_links"][0]["href"]
    after = api.get(FLAVORS, token=alice, params={"limit": 2, "marker": every[0]}).json()["flavors"]
    assert [f["id"] for f in after] == every[1:3]
    detail = api.get(f"{FLAVORS}/detail", token=alice, params={"limit": 1, "marker": every[0]}).json()
    assert [f["id"] for f in detail["flavors"]] == every[1:2] and "ram" in detail["flavors"][0]
    seen, pages = walk(api, FLAVORS, "flavors", alice, 2)
    assert [f["id"] for f in seen] == every and pages >= 2
    assert_fault(api.get(FLAVORS, token=alice, params={"marker": "no-such-flavor"}), 400, "marker")
    assert_fault(api.get(FLAVORS, token=alice, params={"limit": "-3"}), 400, "limit")


def test_keypair_list_honours_limit_and_marker(api, alice):
    names = ["kp-a", "kp-b", "kp-c"]
    for name in names:
        assert api.post(KEYPAIRS, token=alice, json={"keypair": {"name": name}}).status_code in (200, 201)

    def listed(**params):
        r = api.get(KEYPAIRS, token=alice, params=params)
        assert r.status_code == 200, r.text
        return [k["keypair"]["name"] for k in r.json()["keypairs"]], r.json()

    assert listed()[0] == names
    two, body = listed(limit=2)
    assert two == names[:2] and "marker=kp-b" in body["keypairs_links"][0]["href"]
    assert listed(limit=2, marker="kp-b")[0] == ["kp-c"]
    seen, pages = walk(api, KEYPAIRS, "keypairs", alice, 1)
    assert [k["keypair"]["name"] for k in seen] == names and pages >= 3
    assert_fault(api.get(KEYPAIRS, token=alice, params={"marker": "kp-zzz"}), 400, "marker [kp-zzz] not found")
    assert_fault(api.get(KEYPAIRS, token=alice, params={"limit": "ten"}), 400, "limit param must be an integer")


def test_pathological_name_regex_answers_quickly(api, alice):
    r = api.boot(name="a" * 24, token=alice)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    api.wait_status(sid, "ACTIVE")
    started = time.monotonic()
    r = api.get(SERVERS, token=alice, params={"name": "(a+)+(a+)+b"}, timeout=20)
    assert r.status_code == 200, r.text
    assert r.json()["servers"] == [] and time.monotonic() - started < 5
    assert [s["id"] for s in api.get(SERVERS, token=alice, params={"name": "^(a+)+$"}).json()["servers"]] == [sid]
    assert_fault(api.get(SERVERS, token=alice, params={"name": "(a)\\1"}), 400, "regular expression")
    assert_fault(api.get(SERVERS, token=alice, params={"name": "a" * 256}), 400, "regular expression")


def test_volume_list_paging_values_are_bounded(api, alice):
    project = api.get("/identity/v3/auth/tokens", token=alice,
                      headers={"X-Subject-Token": alice}).json()["token"]["project"]["id"]
    for value in ("-1", HUGE, "x"):
        assert_fault(api.get(f"/volume/v3/{project}/volumes", token=alice, params={"limit": value}), 400, "limit")
