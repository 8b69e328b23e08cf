"""Keystone v3's admin writes through the live API, as Tempest's dynamic credentials and `openstack project/
user/role` call them: projects and users created, updated and deleted, roles granted, checked and revoked,
role assignments listed; admins only (Keystone's default policies); a deleted project's servers stay."""
import requests

from .faults import assert_fault
from .test_api_identity import assert_keystone_error, login

V3 = "/identity/v3"
STACK = {"hosts": ["node1"], "users": {"mia": "gamma", "rex": "gamma"}}


def _call(api, method, path, token, **kw):
    return requests.request(method, api.url(V3 + path), headers={"X-Auth-Token": token}, timeout=30, **kw)


def _create_project(api, admin, name, **extra):
    r = _call(api, "POST", "/projects", admin, json={"project": {"name": name, "domain_id": "default", **extra}})
    assert r.status_code == 201, r.text
    return r.json()["project"]


def _create_user(api, admin, name, password):
    r = _call(api, "POST", "/users", admin, json={"user": {"name": name, "password": password,
                                                           "domain_id": "default"}})
    assert r.status_code == 201, r.text
    return r.json()["user"]


def _grant(api, admin, project_id, user_id, role, method="PUT"):
    return _call(api, method, f"/projects/{project_id}/users/{user_id}/roles/{role}", admin)


def test_dynamic_credentials_flow_create_grant_login_list_revoke(api):
    """What Tempest's DynamicCredentialProvider does for a test class, then undoes."""
    admin = api.token()
    project = _create_project(api, admin, "dyn-p1", description="dyn-p1-desc")
    assert (project["name"], project["description"], project["domain_id"], project["enabled"]) == (
        "dyn-p1", "dyn-p1-desc", "default", True)
    assert _call(api, "GET", f"/projects/{project['id']}", admin).json()["project"] == project
    user = _create_user(api, admin, "dyn-u1", "dyn-pw")
    assert (user["name"], user["domain_id"], user["enabled"]) == ("dyn-u1", "default", True)
    assert "password" not in user
    # No role yet: the user cannot scope to the project.
    assert_keystone_error(login(api, user="dyn-u1", password="dyn-pw", project="dyn-p1"), 401, "Unauthorized")

    assert _grant(api, admin, project["id"], user["id"], "member").status_code == 204
    assert _grant(api, admin, project["id"], user["id"], "member").status_code == 204  # again: no change
    token = login(api, user="dyn-u1", password="dyn-pw", project_id=project["id"])
    assert token.status_code == 201, token.text
    assert sorted(r["name"] for r in token.json()["token"]["roles"]) == ["member", "reader"]
    user_token = token.headers["X-Subject-Token"]
    assert api.get("/compute/v2.1/servers", token=user_token).status_code == 200

    roles = _call(api, "GET", f"/projects/{project['id']}/users/{user['id']}/roles", admin).json()["roles"]
    assert [r["id"] for r in roles] == ["member"]
    assert _grant(api, admin, project["id"], user["id"], "member", "HEAD").status_code == 204
    assert _grant(api, admin, project["id"], user["id"], "member", "GET").status_code == 204
    assert_keystone_error(_grant(api, admin, project["id"], user["id"], "admin", "GET"), 404, "Not Found")
    assert_keystone_error(_grant(api, admin, project["id"], user["id"], "owner"), 404, "Not Found")
    assert_keystone_error(_grant(api, admin, "nope", user["id"], "member"), 404, "Not Found")
    assert_keystone_error(_grant(api, admin, project["id"], "999999", "member"), 404, "Not Found")

    listed = _call(api, "GET", "/role_assignments", admin, params={"scope.project.id": project["id"]}).json()
    assert [(a["role"]["id"], a["user"]["id"], a["scope"]["project"]["id"]) for a in listed["role_assignments"]] == [
        ("member", user["id"], project["id"])]
    assert listed["role_assignments"][0]["links"]["assignment"] == api.url(
        f"{V3}/projects/{project['id']}/users/{user['id']}/roles/member")
    named = _call(api, "GET", "/role_assignments?include_names&effective", admin,
                  params={"user.id": user["id"]}).json()["role_assignments"]
    assert sorted(a["role"]["name"] for a in named) == ["member", "reader"]  # effective: the implied reader too
    assert {(a["user"]["name"], a["scope"]["project"]["name"]) for a in named} == {("dyn-u1", "dyn-p1")}
    assert _call(api, "GET", "/role_assignments", admin, params={"role.id": "admin", "user.id": user["id"]}
                 ).json()["role_assignments"] == []

    # Revoking the role revokes the user's tokens on the project, and a new login is refused.
    assert _grant(api, admin, project["id"], user["id"], "member", "DELETE").status_code == 204
    assert_keystone_error(_grant(api, admin, project["id"], user["id"], "member", "DELETE"), 404, "Not Found")
    assert api.get("/compute/v2.1/servers", token=user_token).status_code == 401
    assert_keystone_error(login(api, user="dyn-u1", password="dyn-pw", project="dyn-p1"), 401, "Unauthorized")

    assert _call(api, "DELETE", f"/users/{user['id']}", admin).status_code == 204
    assert _call(api, "DELETE", f"/projects/{project['id']}", admin).status_code == 204
    assert_keystone_error(_call(api, "DELETE", f"/projects/{project['id']}", admin), 404, "Not Found")
    assert_keystone_error(_call(api, "DELETE", f"/users/{user['id']}", admin), 404, "Not Found")


def test_conflicts_and_invalid_bodies(api):
    admin = api.token()
    _create_project(api, admin, "dup-p")
    r = _call(api, "POST", "/projects", admin, json={"project": {"name": "dup-p"}})
    assert "Duplicate entry" in assert_keystone_error(r, 409, "Conflict")
    _create_user(api, admin, "dup-u", "pw")
    assert_keystone_error(_call(api, "POST", "/users", admin, json={"user": {"name": "dup-u"}}), 409, "Conflict")
    for path, body in [("/projects", {"project": {"name": ""}}), ("/projects", {"name": "x"}),
                       ("/projects", {"project": {"name": "x", "domain_id": "other"}}),
                       ("/projects", {"project": {"name": "x", "enabled": "maybe"}}),
                       ("/users", {"user": {"name": "y", "domain_id": "other"}}),
                       ("/users", {"user": {}})]:
        assert_keystone_error(_call(api, "POST", path, admin, json=body), 400, "Bad Request")
    assert [p["name"] for p in _call(api, "GET", "/projects", admin, params={"name": "x"}).json()["projects"]] == []


def test_only_admins_write_and_list_assignments(api):
    member = api.token("mia", "mia-pw", "gamma")
    api.manage("user_create", "rory", "--project", "gamma", "--role", "reader", USER_PASSWORD="rory-pw")
    reader = api.token("rory", "rory-pw", "gamma")
    admin = api.token()
    gamma = _call(api, "GET", "/projects", admin, params={"name": "gamma"}).json()["projects"][0]
    mia = _call(api, "GET", "/users", admin, params={"name": "mia"}).json()["users"][0]
    for token in (member, reader):
        for method, path, body in [
                ("POST", "/projects", {"project": {"name": "evil"}}),
                ("PATCH", f"/projects/{gamma['id']}", {"project": {"description": "evil"}}),
                ("DELETE", f"/projects/{gamma['id']}", None),
                ("POST", "/users", {"user": {"name": "evil", "password": "x"}}),
                ("PATCH", f"/users/{mia['id']}", {"user": {"enabled": False}}),
                ("DELETE", f"/users/{mia['id']}", None),
                ("PUT", f"/projects/{gamma['id']}/users/{mia['id']}/roles/admin", None),
                ("DELETE", f"/projects/{gamma['id']}/users/{mia['id']}/roles/member", None),
                ("GET", f"/projects/{gamma['id']}/users/{mia['id']}/roles", None),
                ("GET", "/role_assignments", None), ("GET", "/roles/member", None)]:
            r = _call(api, method, path, token, json=body)
            assert_keystone_error(r, 403, "Forbidden")
    # Nothing changed, and the reader still reads its project.
    assert _call(api, "GET", f"/projects/{gamma['id']}", reader).json()["project"] == gamma
    assert _call(api, "GET", f"/users/{mia['id']}", admin).json()["user"]["enabled"] is True
    assert _call(api, "GET", "/roles/member", admin).json()["role"]["name"] == "member"
    assert_keystone_error(_call(api, "GET", "/roles/owner", admin), 404, "Not Found")


def test_updates_and_disabling_revokes_tokens(api):
    admin = api.token()
    project = _create_project(api, admin, "upd-p")
    user = _create_user(api, admin, "upd-u", "old-pw")
    assert _grant(api, admin, project["id"], user["id"], "member").status_code == 204
    r = _call(api, "PATCH", f"/projects/{project['id']}", admin,
              json={"project": {"name": "upd-p2", "description": "renamed"}})
    assert r.status_code == 200 and (r.json()["project"]["name"], r.json()["project"]["description"]) == (
        "upd-p2", "renamed")
    token = api.token("upd-u", "old-pw", "upd-p2")
    r = _call(api, "PATCH", f"/users/{user['id']}", admin, json={"user": {"password": "new-pw", "email": "u@x.org"}})
    assert r.status_code == 200 and r.json()["user"]["email"] == "u@x.org"
    assert api.get("/compute/v2.1/servers", token=token).status_code == 401  # a new password revokes
    assert_keystone_error(login(api, user="upd-u", password="old-pw", project="upd-p2"), 401, "Unauthorized")
    token = api.token("upd-u", "new-pw", "upd-p2")
    r = _call(api, "PATCH", f"/projects/{project['id']}", admin, json={"project": {"enabled": False}})
    assert r.json()["project"]["enabled"] is False
    assert api.get("/compute/v2.1/servers", token=token).status_code == 401
    assert_keystone_error(login(api, user="upd-u", password="new-pw", project="upd-p2"), 401, "Unauthorized")


def test_deleting_a_project_and_its_user_keeps_their_servers(api):
    """Keystone's delete: the project and user are gone for identity; the server stays for an admin, as in
    OpenStack; both names may be used again."""
    admin = api.token()
    project = _create_project(api, admin, "gone-p")
    user = _create_user(api, admin, "gone-u", "gone-pw")
    assert _grant(api, admin, project["id"], user["id"], "member").status_code == 204
    token = api.token("gone-u", "gone-pw", "gone-p")
    r = api.boot(name="orphan", token=token)
    assert r.status_code == 202, r.text
    server_id = r.json()["server"]["id"]

    assert _call(api, "DELETE", f"/projects/{project['id']}", admin).status_code == 204
    assert _call(api, "DELETE", f"/users/{user['id']}", admin).status_code == 204
    assert api.get("/compute/v2.1/servers", token=token).status_code == 401
    assert_keystone_error(_call(api, "GET", f"/projects/{project['id']}", admin), 404, "Not Found")
    assert_keystone_error(_call(api, "GET", f"/users/{user['id']}", admin), 404, "Not Found")
    assert "gone-p" not in {p["name"] for p in _call(api, "GET", "/projects", admin).json()["projects"]}
    assert "gone-u" not in {u["name"] for u in _call(api, "GET", "/users", admin).json()["users"]}
    assert_keystone_error(login(api, user="gone-u", password="gone-pw", project=None), 401, "Unauthorized")
    assert _call(api, "GET", "/role_assignments", admin, params={"scope.project.id": project["id"]}
                 ).json()["role_assignments"] == []

    shown = api.get(f"/compute/v2.1/servers/{server_id}", token=admin)
    assert shown.status_code == 200 and shown.json()["server"]["tenant_id"] == project["id"]
    # Nova asks Keystone whether a project exists before setting its quotas: a deleted one does not.
    assert_fault(api.request("PUT", f"/compute/v2.1/os-quota-sets/{project['id']}", token=admin,
                             json={"quota_set": {"cores": 3}}), 400)

    again = _create_project(api, admin, "gone-p")
    assert again["id"] != project["id"]
    assert _create_user(api, admin, "gone-u", "pw2")["id"] != user["id"]


def test_a_reader_writing_to_another_projects_server_gets_404_as_in_nova(api):
    """Nova finds the server before it checks the policy: another project's server is 404 to a reader (as to
    a member), its own project's is 403."""
    api.manage("user_create", "rhea", "--project", "gamma", "--role", "reader", USER_PASSWORD="rhea-pw")
    reader = api.token("rhea", "rhea-pw", "gamma")
    mine = api.boot(name="gamma-vm", token=api.token("rex", "rex-pw", "gamma"))
    theirs = api.boot(name="admin-vm")
    assert mine.status_code == theirs.status_code == 202, (mine.text, theirs.text)
    for server, code in ((mine.json()["server"]["id"], 403), (theirs.json()["server"]["id"], 404)):
        assert_fault(api.delete(f"/compute/v2.1/servers/{server}", token=reader), code)
        assert_fault(api.request("PUT", f"/compute/v2.1/servers/{server}", token=reader,
                                 json={"server": {"name": "x"}}), code)
        assert_fault(api.post(f"/compute/v2.1/servers/{server}/action", token=reader, json={"os-stop": None}), code)
