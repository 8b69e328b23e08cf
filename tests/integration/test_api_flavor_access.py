"""Flavor writes Nova 2.1 answers: private flavors with os-flavor-access, and extra specs writes, with
Nova's shapes, admin-only policies and visibility (a private flavor exists only for admins and the
projects given access)."""
from .faults import assert_fault

STACK = {"hosts": ["f1"], "users": {"fern": "flav-a", "gus": "flav-b"}}
FLAVORS = "/compute/v2.1/flavors"


def project_id(api, name) -> str:
    return [p for p in api.get("/identity/v3/projects").json()["projects"] if p["name"] == name][0]["id"]


def create_flavor(api, flavor_id, public=True):
    r = api.post(FLAVORS, json={"flavor": {"name": f"n-{flavor_id}", "id": flavor_id, "ram": 64, "vcpus": 1,
                                           "disk": 1, "os-flavor-access:is_public": public}})
    assert r.status_code == 200, r.text
    return r.json()["flavor"]


def test_private_flavor_access(api):
    fern, gus = api.token("fern", "fern-pw", "flav-a"), api.token("gus", "gus-pw", "flav-b")
    pid_a = project_id(api, "flav-a")
    create_flavor(api, "priv1", public=False)
    action = f"{FLAVORS}/priv1/action"

    assert api.get(f"{FLAVORS}/priv1/os-flavor-access").json() == {"flavor_access": []}
    assert_fault(api.get(f"{FLAVORS}/priv1", token=fern), 404)
    assert "priv1" not in [f["id"] for f in api.get(f"{FLAVORS}/detail", token=fern).json()["flavors"]]
    assert_fault(api.boot(name="denied", flavor="priv1", token=fern), 400)

    r = api.post(action, json={"addTenantAccess": {"tenant": pid_a}})
    assert r.status_code == 200 and r.json() == {"flavor_access": [{"flavor_id": "priv1", "tenant_id": pid_a}]}
    assert_fault(api.post(action, json={"addTenantAccess": {"tenant": pid_a}}), 409)
    assert api.get(f"{FLAVORS}/priv1/os-flavor-access").json()["flavor_access"] == [
        {"flavor_id": "priv1", "tenant_id": pid_a}]
    # Granted: fern's project sees it, lists it and may boot it; gus's does not.
    assert api.get(f"{FLAVORS}/priv1", token=fern).json()["flavor"]["os-flavor-access:is_public"] is False
    assert "priv1" in [f["id"] for f in api.get(FLAVORS, token=fern).json()["flavors"]]
    assert_fault(api.get(f"{FLAVORS}/priv1", token=gus), 404)

    r = api.post(action, json={"removeTenantAccess": {"tenant": pid_a}})
    assert r.status_code == 200 and r.json() == {"flavor_access": []}
    assert_fault(api.post(action, json={"removeTenantAccess": {"tenant": pid_a}}), 404)
    assert_fault(api.get(f"{FLAVORS}/priv1", token=fern), 404)


def test_flavor_access_policy_and_validation(api):
    fern = api.token("fern", "fern-pw", "flav-a")
    create_flavor(api, "pub1")
    create_flavor(api, "priv2", public=False)
    assert_fault(api.get(f"{FLAVORS}/pub1/os-flavor-access"), 404, "public flavors")
    assert_fault(api.get(f"{FLAVORS}/nope/os-flavor-access"), 404)
    assert_fault(api.get(f"{FLAVORS}/priv2/os-flavor-access", token=fern), 403, "os-flavor-access")
    assert_fault(api.post(f"{FLAVORS}/priv2/action", token=fern,
                          json={"addTenantAccess": {"tenant": project_id(api, "flav-a")}}), 403)
    for bad in ({}, {"addTenantAccess": {}}, {"addTenantAccess": {"tenant": ""}}, {"bogus": {"tenant": "x"}},
                {"addTenantAccess": "x"}):
        assert_fault(api.post(f"{FLAVORS}/priv2/action", json=bad), 400)
    assert_fault(api.post(f"{FLAVORS}/priv2/action", json={"addTenantAccess": {"tenant": "no-such-project"}}),
                 400, "not a valid project")
    assert_fault(api.post(f"{FLAVORS}/nope/action", json={"addTenantAccess": {"tenant": project_id(api, "flav-a")}}),
                 404)


def test_extra_specs_writes(api):
    fern = api.token("fern", "fern-pw", "flav-a")
    create_flavor(api, "spec1")
    specs = f"{FLAVORS}/spec1/os-extra_specs"
    r = api.post(specs, json={"extra_specs": {"hw:cpu_policy": "shared", "quota:cpu_shares": 1024}})
    assert r.status_code == 200 and r.json() == {"extra_specs": {"hw:cpu_policy": "shared",
                                                                 "quota:cpu_shares": "1024"}}
    r = api.request("PUT", f"{specs}/hw:cpu_policy", json={"hw:cpu_policy": "dedicated"})
    assert r.status_code == 200 and r.json() == {"hw:cpu_policy": "dedicated"}
    assert api.get(specs, token=fern).json() == {"extra_specs": {"hw:cpu_policy": "dedicated",
                                                                 "quota:cpu_shares": "1024"}}
    assert api.get(f"{specs}/quota:cpu_shares", token=fern).json() == {"quota:cpu_shares": "1024"}
    r = api.delete(f"{specs}/quota:cpu_shares")
    assert r.status_code == 200 and not r.content
    assert_fault(api.get(f"{specs}/quota:cpu_shares"), 404)
    assert_fault(api.delete(f"{specs}/quota:cpu_shares"), 404)
    # Policy: writes are for admins.
    assert_fault(api.post(specs, token=fern, json={"extra_specs": {"a": "b"}}), 403)
    assert_fault(api.request("PUT", f"{specs}/a", token=fern, json={"a": "b"}), 403)
    assert_fault(api.delete(f"{specs}/hw:cpu_policy", token=fern), 403)
    # Validation, as Nova's schema: one key equal to the path's, string or number values, metadata keys.
    assert_fault(api.request("PUT", f"{specs}/a", json={"b": "x"}), 400, "mismatch")
    assert_fault(api.request("PUT", f"{specs}/a", json={"a": "x", "b": "y"}), 400)
    for bad in ({"extra_specs": {"k": True}}, {"extra_specs": {"k/x": "v"}}, {"extra_specs": {"k": "v" * 256}},
                {"extra_specs": "x"}, {}):
        assert_fault(api.post(specs, json=bad), 400)
    assert_fault(api.post(f"{FLAVORS}/nope/os-extra_specs", json={"extra_specs": {"a": "b"}}), 404)


def test_is_public_filter(api):
    fern = api.token("fern", "fern-pw", "flav-a")
    create_flavor(api, "priv3", public=False)

    def ids(token=None, **params):
        r = api.get(f"{FLAVORS}/detail", token=token, params=params)
        assert r.status_code == 200, r.text
        return [f["id"] for f in r.json()["flavors"]]

    # Nova: by default even an admin lists the public flavors and the private ones of its own project.
    assert "priv3" not in ids() and "1" in ids()
    assert "priv3" in ids(is_public="none") and "1" in ids(is_public="None")
    only_private = ids(is_public="false")
    assert "priv3" in only_private and "1" not in only_private
    assert "priv3" not in ids(is_public="true")
    assert_fault(api.get(FLAVORS, params={"is_public": "maybe"}), 400, "is_public")
    # Members: always public plus what their project may use, whatever they ask.
    assert "priv3" not in ids(fern, is_public="none") and "1" in ids(fern, is_public="false")
    admin_project = project_id(api, "admin")
    api.post(f"{FLAVORS}/priv3/action", json={"addTenantAccess": {"tenant": admin_project}})
    assert "priv3" in ids()


def test_is_public_given_as_a_string(api):
    # Tempest creates flavors with is_public="False": Nova's boolean strings, not Python truthiness.
    assert create_flavor(api, "str-priv", public="False")["os-flavor-access:is_public"] is False
    assert create_flavor(api, "str-pub", public="yes")["os-flavor-access:is_public"] is True
    r = api.post(FLAVORS, json={"flavor": {"name": "bad", "ram": 64, "vcpus": 1, "disk": 1,
                                           "os-flavor-access:is_public": "maybe"}})
    assert_fault(r, 400, "is_public")
