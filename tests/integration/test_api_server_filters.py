"""Server list filters the clients use beyond name/status (tested in test_api_compute): `host` (admins
only), `changes-since` (which also reports deleted servers, as Nova), and following `servers_links`."""
from datetime import datetime, timezone

import requests


SERVERS = "/compute/v2.1/servers"


STACK = {"users": {"alice": "alpha"}}


def ids(r) -> list[str]:
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()["servers"]]


def boot(api, name, token=None) -> dict:
    r = api.boot(name=name, token=token)
    assert r.status_code == 202, r.text
    return api.wait_status(r.json()["server"]["id"], "ACTIVE")


def test_host_filter_is_for_admins(api):
    alice = api.token("alice", "alice-pw", "alpha")
    servers = [boot(api, f"hf-{i}", token=alice) for i in range(4)]
    by_host = {}
    for s in servers:
        by_host.setdefault(api.server(s["id"])["OS-EXT-SRV-ATTR:host"], set()).add(s["id"])
    assert set(by_host) == {"node1", "node2"}  # RAM spread puts them on both hosts
    for host, expected in by_host.items():
        listed = ids(api.get(f"{SERVERS}/detail", params={"host": host, "all_tenants": "1"}))
        assert set(listed) == expected
    # A member's host filter is ignored (Nova drops it from a non-admin's search options).
    assert set(ids(api.get(SERVERS, token=alice, params={"host": "node1"}))) == {s["id"] for s in servers}
    assert ids(api.get(SERVERS, params={"host": "no-such-host", "all_tenants": "1"})) == []


def test_changes_since_reports_deleted_servers(api):
    before = boot(api, "cs-old")
    # The filter compares to the microsecond, and the stack's processes share this clock: `before` was
    # last written before it was seen ACTIVE, so it is older than `since` with no wait between them.
    since = datetime.now(timezone.utc)
    fresh, gone = boot(api, "cs-new"), boot(api, "cs-gone")
    assert api.delete(f"{SERVERS}/{gone['id']}").status_code == 204
    api.wait_gone(gone["id"])

    r = api.get(f"{SERVERS}/detail", params={"changes-since": since.isoformat()})
    listed = {s["id"]: s["status"] for s in r.json()["servers"]}
    assert listed.get(fresh["id"]) == "ACTIVE" and listed.get(gone["id"]) == "DELETED"
    assert before["id"] not in listed
    assert gone["id"] not in ids(api.get(f"{SERVERS}/detail"))  # without it, deleted servers stay hidden


def test_following_next_links_walks_every_server(api):
    alice = api.token("alice", "alice-pw", "alpha")
    expected = set(ids(api.get(SERVERS, token=alice)))
    assert len(expected) >= 3
    seen, url, pages = [], api.url(f"{SERVERS}?limit=2"), 0
    while url:
        body = requests.get(url, headers={"X-Auth-Token": alice}, timeout=30).json()
        seen += [s["id"] for s in body["servers"]]
        links = body.get("servers_links", [])
        url = links[0]["href"] if links else None
        pages += 1
    assert set(seen) == expected and len(seen) == len(expected) and pages >= 2
