"""Version discovery and compute microversion negotiation against a live API (no workers needed)."""
import pytest
import requests

from api.common.microversions import MAX_VERSION_STRING



STACK = {"hosts": []}


def test_root_lists_every_service_version(api):
    r = requests.get(api.url("/"), timeout=30)
    assert r.status_code == 200, r.text
    versions = {v["id"]: v for v in r.json()["versions"]}
    assert versions["v2.1"]["version"] == MAX_VERSION_STRING and versions["v2.1"]["min_version"] == "2.1"
    assert versions["v3.14"]["status"] == "stable"
    assert versions["v2.1"]["links"][0]["href"] == api.url("/compute/v2.1/")


def test_service_roots_answer_version_documents_without_a_token(api):
    compute = requests.get(api.url("/compute/"), timeout=30)
    assert compute.status_code == 200
    assert [(v["id"], v["status"]) for v in compute.json()["versions"]] == [("v2.0", "SUPPORTED"), ("v2.1", "CURRENT")]
    for path in ("/compute/v2.1", "/compute/v2.1/"):
        version = requests.get(api.url(path), timeout=30).json()["version"]
        assert (version["id"], version["status"], version["min_version"], version["version"]) == (
            "v2.1", "CURRENT", "2.1", MAX_VERSION_STRING)
    identity = requests.get(api.url("/identity/"), timeout=30)
    assert identity.status_code == 300, identity.text
    (v3,) = identity.json()["versions"]["values"]
    assert v3["id"] == "v3.14" and v3["links"][0]["href"] == api.url("/identity/v3/")
    assert requests.get(api.url("/identity/v3/"), timeout=30).json()["version"]["id"] == "v3.14"
    image = requests.get(api.url("/image/"), timeout=30)
    assert image.status_code == 300 and image.json()["versions"][0]["links"][0]["href"] == api.url("/image/v2/")


def _headers(r):
    return r.headers.get("OpenStack-API-Version"), r.headers.get("X-OpenStack-Nova-API-Version")


@pytest.mark.parametrize("sent,expected", [
    ({}, "2.1"),
    ({"OpenStack-API-Version": "compute 2.1"}, "2.1"),
    ({"OpenStack-API-Version": f"compute {MAX_VERSION_STRING}"}, MAX_VERSION_STRING),
    ({"X-OpenStack-Nova-API-Version": MAX_VERSION_STRING}, MAX_VERSION_STRING),
    ({"OpenStack-API-Version": "compute latest"}, MAX_VERSION_STRING),
])
def test_negotiated_version_is_echoed(api, sent, expected):
    r = requests.get(api.url("/compute/v2.1/flavors"), headers={"X-Auth-Token": api.token(), **sent}, timeout=30)
    assert r.status_code == 200, r.text
    assert _headers(r) == (f"compute {expected}", expected)
    assert "OpenStack-API-Version" in r.headers["Vary"] and "X-OpenStack-Nova-API-Version" in r.headers["Vary"]


def test_errors_carry_the_echo_too(api):
    r = requests.get(api.url("/compute/v2.1/servers/nope"), timeout=30,
                     headers={"X-Auth-Token": api.token(), "OpenStack-API-Version": "compute 2.1"})
    assert r.status_code == 404 and _headers(r) == ("compute 2.1", "2.1")


@pytest.mark.parametrize("sent", [{"OpenStack-API-Version": "compute 2.999"}, {"X-OpenStack-Nova-API-Version": "3.0"},
                                  {"OpenStack-API-Version": "compute 2.0"}])
def test_unsupported_versions_are_406(api, sent):
    r = requests.get(api.url("/compute/v2.1/servers"), headers={"X-Auth-Token": api.token(), **sent}, timeout=30)
    assert r.status_code == 406, r.text
    (fault,) = r.json().values()
    assert fault["code"] == 406 and f"maximum is {MAX_VERSION_STRING}" in fault["message"]


def test_malformed_versions_are_400(api):
    r = requests.get(api.url("/compute/v2.1/servers"), timeout=30,
                     headers={"X-Auth-Token": api.token(), "OpenStack-API-Version": "compute two"})
    assert r.status_code == 400 and "invalid format" in r.json()["badRequest"]["message"]


def test_other_services_ignore_compute_microversions(api):
    r = requests.get(api.url("/image/v2/images"), timeout=30,
                     headers={"X-Auth-Token": api.token(), "OpenStack-API-Version": "compute 2.999"})
    assert r.status_code == 200 and "OpenStack-API-Version" not in r.headers
