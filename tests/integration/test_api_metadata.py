"""Server metadata (/servers/{id}/metadata[/{key}]) against a live stack: Nova's verbs and shapes,
validation, the metadata_items quota, state rules, and no lost update under concurrent writers."""
from concurrent.futures import ThreadPoolExecutor

import pytest


SERVERS = "/compute/v2.1/servers"


STACK = {"hosts": ["m1"], "users": {"mia": "meta"}}


@pytest.fixture
def server(api):
    sid = api.boot(name="md", metadata={"role": "web"}).json()["server"]["id"]
    api.wait_status(sid, "ACTIVE")
    return sid


def test_verbs_and_shapes(api, server):
    base = f"{SERVERS}/{server}/metadata"
    assert api.get(base).json() == {"metadata": {"role": "web"}}
    r = api.post(base, json={"metadata": {"tier": "1", "role": "db"}})
    assert r.status_code == 200 and r.json() == {"metadata": {"role": "db", "tier": "1"}}
    assert api.get(f"{base}/tier").json() == {"meta": {"tier": "1"}}
    r = api.request("PUT", f"{base}/zone.a:b c", json={"meta": {"zone.a:b c": "x"}})
    assert r.status_code == 200 and r.json() == {"meta": {"zone.a:b c": "x"}}
    assert api.server(server)["metadata"] == {"role": "db", "tier": "1", "zone.a:b c": "x"}
    r = api.request("PUT", base, json={"metadata": {"only": "this"}})
    assert r.status_code == 200 and r.json() == {"metadata": {"only": "this"}}
    assert api.delete(f"{base}/only").status_code == 204
    assert api.get(base).json() == {"metadata": {}}
    assert api.get(f"{base}/only").json()["itemNotFound"]["message"] == "Metadata item was not found"
    assert api.delete(f"{base}/only").status_code == 404


@pytest.mark.parametrize("method,suffix,body,text", [
    ("PUT", "/k", {"meta": {"other": "v"}}, "Request body and URI mismatch"),
    ("PUT", "/k", {"meta": {"k": "v", "j": "w"}}, "Request body contains too many items"),
    ("POST", "", {"metadata": {"k" * 256: "v"}}, "metadata"),
    ("POST", "", {"metadata": {"k": "v" * 256}}, "metadata"),
    ("POST", "", {"metadata": {"bad/key": "v"}}, "metadata"),
    ("POST", "", {"metadata": {"k": 1}}, "metadata"),
    ("POST", "", {"metadata": ["k"]}, "metadata"),
    ("POST", "", {"meta": {"k": "v"}}, "metadata"),
])
def test_invalid_bodies_are_400(api, server, method, suffix, body, text):
    r = api.request(method, f"{SERVERS}/{server}/metadata{suffix}", json=body)
    assert r.status_code == 400 and text in r.json()["badRequest"]["message"], r.text


def test_quota_state_and_isolation(api, server):
    pid = [p for p in api.get("/identity/v3/projects").json()["projects"] if p["name"] == "admin"][0]["id"]
    assert api.request("PUT", f"/compute/v2.1/os-quota-sets/{pid}",
                       json={"quota_set": {"metadata_items": 2}}).status_code == 200
    try:
        r = api.post(f"{SERVERS}/{server}/metadata", json={"metadata": {"a": "1", "b": "2"}})
        assert r.status_code == 403 and r.json()["forbidden"]["message"] == "Maximum number of metadata items exceeds 2"
        assert api.get(f"{SERVERS}/{server}/metadata").json() == {"metadata": {"role": "web"}}  # unchanged
        assert api.post(f"{SERVERS}/{server}/metadata", json={"metadata": {"a": "1"}}).status_code == 200
    finally:
        api.request("DELETE", f"/compute/v2.1/os-quota-sets/{pid}")
    mia = api.token("mia", "mia-pw", "meta")
    assert api.get(f"{SERVERS}/{server}/metadata", token=mia).status_code == 404
    # Nova allows metadata changes only in stable states.
    assert api.action(server, {"pause": None}).status_code == 202
    api.wait_status(server, "PAUSED")
    assert api.post(f"{SERVERS}/{server}/metadata", json={"metadata": {"p": "1"}}).status_code == 200


def test_concurrent_posts_lose_no_key(api, server):
    def post(i):
        return api.post(f"{SERVERS}/{server}/metadata", json={"metadata": {f"k{i}": str(i)}}).status_code
    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(post, range(16))) == [200] * 16
    metadata = api.get(f"{SERVERS}/{server}/metadata").json()["metadata"]
    assert {f"k{i}" for i in range(16)} <= set(metadata)
