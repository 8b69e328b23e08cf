"""Keystone v3 tokens through the live API: issue, scope, validate, revoke, expiry, and how the other
services answer a missing, revoked or expired token (401 in Keystone's shape)."""
from datetime import datetime

import psycopg2
import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from .faults import assert_fault
from .stack import ADMIN_PASSWORD

TOKENS = "/identity/v3/auth/tokens"


STACK = {"hosts": [], "users": {"alice": "alpha", "bob": "beta"}}  # identity needs no compute host


def auth_body(user="admin", password=ADMIN_PASSWORD, project="admin", project_id=None, user_domain=None,
              project_domain=None):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": user_domain or {"id": "default"}, "password": password}}}}}
    if project_id:
        body["auth"]["scope"] = {"project": {"id": project_id}}
    elif project:
        body["auth"]["scope"] = {"project": {"name": project, "domain": project_domain or {"id": "default"}}}
    return body


def login(stack, **kw) -> requests.Response:
    return requests.post(stack.url(TOKENS), json=auth_body(**kw), timeout=30)


def assert_keystone_error(r, code, title):
    assert r.status_code == code, r.text
    body = r.json()
    assert list(body) == ["error"], body
    assert body["error"]["code"] == code and body["error"]["title"] == title, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    assert "X-Subject-Token" not in r.headers
    return body["error"]["message"]


def validate(stack, subject, token, method="GET"):
    return requests.request(method, stack.url(TOKENS), timeout=30,
                            headers={"X-Auth-Token": token, "X-Subject-Token": subject})


# ---- issue ---------------------------------------------------------------------------------------

def test_password_login_returns_201_the_token_header_and_a_catalog(api):
    r = login(api)
    assert r.status_code == 201, r.text
    token_id = r.headers["X-Subject-Token"]
    assert token_id and token_id not in r.text  # the token travels in the header only
    token = r.json()["token"]
    assert token["methods"] == ["password"]
    assert token["user"]["name"] == "admin" and token["user"]["domain"] == {"id": "default", "name": "Default"}
    assert token["project"]["name"] == "admin" and token["project"]["domain"]["id"] == "default"
    assert {"admin", "member"} <= {role["name"] for role in token["roles"]}
    issued = datetime.fromisoformat(token["issued_at"].rstrip("Z"))
    expires = datetime.fromisoformat(token["expires_at"].rstrip("Z"))
    assert (expires - issued).total_seconds() == 3600

    base = api.url("")
    expected = {"identity": f"{base}/identity", "compute": f"{base}/compute/v2.1", "image": f"{base}/image"}
    catalog = {svc["type"]: svc for svc in token["catalog"]}
    assert set(catalog) >= set(expected)
    for stype, url in expected.items():
        endpoints = catalog[stype]["endpoints"]
        assert sorted(e["interface"] for e in endpoints) == ["admin", "internal", "public"], stype
        for e in endpoints:
            assert e["region"] == "RegionOne" and e["region_id"] == "RegionOne" and e["url"] == url, e
    # The token works on the services the catalog names.
    assert requests.get(catalog["compute"]["endpoints"][0]["url"] + "/servers",
                        headers={"X-Auth-Token": token_id}, timeout=30).status_code == 200


def test_scope_by_project_id_and_by_domain_name(api):
    alpha = login(api, user="alice", password="alice-pw", project="alpha").json()["token"]["project"]
    r = login(api, user="alice", password="alice-pw", project_id=alpha["id"])
    assert r.status_code == 201, r.text
    assert r.json()["token"]["project"] == {"id": alpha["id"], "name": "alpha",
                                            "domain": {"id": "default", "name": "Default"}}
    assert [role["name"] for role in r.json()["token"]["roles"]] == ["member", "reader"]  # member implies reader
    r = login(api, user="alice", password="alice-pw", project="alpha", user_domain={"name": "Default"},
              project_domain={"name": "Default"})
    assert r.status_code == 201, r.text


def test_a_token_can_be_exchanged_for_another_scoped_token(api):
    first = login(api, user="alice", password="alice-pw", project="alpha").headers["X-Subject-Token"]
    body = {"auth": {"identity": {"methods": ["token"], "token": {"id": first}},
                     "scope": {"project": {"name": "alpha", "domain": {"id": "default"}}}}}
    r = requests.post(api.url(TOKENS), json=body, timeout=30)
    assert r.status_code == 201, r.text
    assert r.headers["X-Subject-Token"] != first
    assert r.json()["token"]["methods"] == ["token"] and r.json()["token"]["user"]["name"] == "alice"


@pytest.mark.parametrize("kw", [
    pytest.param(dict(password="wrong"), id="bad-password"),
    pytest.param(dict(user="nobody", password="x"), id="unknown-user"),
    pytest.param(dict(project="no-such-project"), id="unknown-project"),
    pytest.param(dict(project_id="0123456789abcdef0123456789abcdef"), id="unknown-project-id"),
    pytest.param(dict(user="alice", password="alice-pw", project="admin"), id="no-role-on-project"),
    pytest.param(dict(user="alice", password="alice-pw", project="beta"), id="another-members-project"),
    pytest.param(dict(project_domain={"id": "elsewhere"}), id="project-in-unknown-domain"),
    pytest.param(dict(user_domain={"id": "elsewhere"}), id="user-in-unknown-domain"),
])
def test_failed_logins_are_401_in_keystone_shape_without_a_token(api, kw):
    assert_keystone_error(login(api, **kw), 401, "Unauthorized")


@pytest.mark.parametrize("payload", [
    pytest.param("{not json", id="not-json"),
    pytest.param([], id="list"),
    pytest.param({}, id="no-auth"),
    pytest.param({"auth": {}}, id="no-identity"),
    pytest.param({"auth": {"identity": {"methods": []}}}, id="no-methods"),
    pytest.param({"auth": {"identity": {"methods": ["password"]}}}, id="method-object-missing"),
    pytest.param({"auth": {"identity": {"methods": ["kerberos"], "kerberos": {}}}}, id="unknown-method"),
    pytest.param({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin"}}}}},
                 id="no-password"),
    pytest.param({"auth": {"identity": {"methods": ["password"], "password": {"user": {"password": "x"}}}}},
                 id="no-user-name-or-id"),
    pytest.param({"auth": {**auth_body()["auth"], "scope": {"project": {"domain": {"id": "default"}}}}},
                 id="scope-without-project-name-or-id"),
])
def test_malformed_auth_bodies_are_400_in_keystone_shape(api, payload):
    if isinstance(payload, str):
        r = requests.post(api.url(TOKENS), data=payload, headers={"Content-Type": "application/json"}, timeout=30)
    else:
        r = requests.post(api.url(TOKENS), json=payload, timeout=30)
    assert_keystone_error(r, 400, "Bad Request")


def test_an_unscoped_token_is_issued_but_cannot_act_on_compute(api):
    r = login(api, user="alice", password="alice-pw", project=None)
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert "project" not in token and "catalog" not in token and token["user"]["name"] == "alice"
    unscoped = r.headers["X-Subject-Token"]
    assert validate(api, unscoped, unscoped).status_code == 200  # it may still validate itself
    # Nothing to act in: refused with 403, never a 500 from a project-less write.
    for method, path, body in [("GET", "/compute/v2.1/servers", None),
                               ("POST", "/compute/v2.1/servers",
                                {"server": {"name": "x", "imageRef": api.image_id(), "flavorRef": "1"}}),
                               ("POST", "/image/v2/images", {"name": "x"})]:
        r = api.request(method, path, token=unscoped, json=body)
        assert r.status_code == 403, (path, r.text)
        assert list(r.json()) == ["forbidden"] and r.json()["forbidden"]["code"] == 403


# ---- validate and revoke --------------------------------------------------------------------------

def _stored_hash(stack, username):
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT password FROM auth_user WHERE username = %s", [username])
        return cur.fetchone()[0]


def test_new_hashes_are_argon2id_and_a_pbkdf2_user_is_rehashed_on_login(api):
    assert _stored_hash(api, "alice").startswith("argon2$argon2id$")
    # bob as he was stored before argon2id: Django's PBKDF2 (the previous default hasher).
    old = PBKDF2PasswordHasher().encode("bob-pw", "pbkdf2salt0123456789", iterations=1_000_000)
    with psycopg2.connect(api.database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE auth_user SET password = %s WHERE username = 'bob'", [old])
    assert _stored_hash(api, "bob") == old

    assert login(api, user="bob", password="wrong", project="beta").status_code == 401
    assert _stored_hash(api, "bob") == old  # a failed login rewrites nothing
    assert login(api, user="bob", password="bob-pw", project="beta").status_code == 201
    rehashed = _stored_hash(api, "bob")
    assert rehashed.startswith("argon2$argon2id$v=19$m=47104,t=2,p=1$"), rehashed
    # and the new hash is the one that verifies from now on
    assert login(api, user="bob", password="bob-pw", project="beta").status_code == 201
    assert _stored_hash(api, "bob") == rehashed


def test_validate_head_and_revoke(api):
    alice = login(api, user="alice", password="alice-pw", project="alpha").headers["X-Subject-Token"]
    admin = api.token()

    r = validate(api, alice, alice)
    assert r.status_code == 200, r.text
    assert r.headers["X-Subject-Token"] == alice
    body = r.json()["token"]
    assert body["user"]["name"] == "alice" and body["project"]["name"] == "alpha" and body["catalog"]

    r = validate(api, alice, alice, method="HEAD")
    assert r.status_code == 200 and r.content == b""

    assert validate(api, alice, admin).json()["token"]["user"]["name"] == "alice"  # an admin may see any

    # Another member may not read (or revoke) alice's token: it does not exist as far as bob knows.
    bob = login(api, user="bob", password="bob-pw", project="beta").headers["X-Subject-Token"]
    for method in ("GET", "HEAD", "DELETE"):
        r = validate(api, alice, bob, method=method)
        assert r.status_code == 404, (method, r.text)
    assert "alice" not in validate(api, alice, bob).text
    assert_keystone_error(validate(api, "no-such-token", alice), 404, "Not Found")

    assert api.get("/compute/v2.1/servers", token=alice).status_code == 200
    r = validate(api, alice, alice, method="DELETE")
    assert r.status_code == 204, r.text

    assert_keystone_error(validate(api, alice, admin), 404, "Not Found")
    assert validate(api, alice, admin, method="HEAD").status_code == 404
    r = api.get("/compute/v2.1/servers", token=alice)
    assert_keystone_error(r, 401, "Unauthorized")
    assert r.headers["WWW-Authenticate"].startswith("Keystone uri=")
    assert validate(api, bob, bob).status_code == 200  # revoking one token leaves the others


@pytest.mark.parametrize("path", ["/compute/v2.1/servers", "/compute/v2.1/flavors", "/image/v2/images", TOKENS])
@pytest.mark.parametrize("headers", [pytest.param({}, id="missing"), pytest.param({"X-Auth-Token": ""}, id="empty"),
                                     pytest.param({"X-Auth-Token": "gAAAAnot-a-real-token"}, id="unknown")])
def test_requests_without_a_valid_token_are_401_with_www_authenticate(api, path, headers):
    r = requests.get(api.url(path), headers=headers, timeout=30)
    assert_keystone_error(r, 401, "Unauthorized")
    assert r.headers["WWW-Authenticate"] == f'Keystone uri="{api.url("/identity")}"'


def test_version_documents_need_no_token(api):
    r = requests.get(api.url("/identity/v3"), timeout=30)
    assert r.status_code == 200 and r.json()["version"]["id"].startswith("v3")
    r = requests.get(api.url("/compute/v2.1"), timeout=30)
    assert r.status_code == 200 and r.json()["version"]["id"] == "v2.1"


# ---- expiry --------------------------------------------------------------------------------------

def test_an_expired_token_is_401(make_stack):
    stack = make_stack(hosts=(), start_workers=False, TOKEN_TTL_SECONDS=1)
    r = login(stack)
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    ttl = datetime.fromisoformat(token["expires_at"].rstrip("Z")) - datetime.fromisoformat(
        token["issued_at"].rstrip("Z"))
    assert ttl.total_seconds() == 1
    tid = r.headers["X-Subject-Token"]
    responses = []  # a 401 Response is falsy, so the predicate reports through this list

    def refused():
        responses.append(stack.get("/compute/v2.1/servers", token=tid))
        return responses[-1].status_code == 401

    stack.wait_until(refused, timeout=20, what="the token to expire")
    expired = responses[-1]
    assert_keystone_error(expired, 401, "Unauthorized")
    assert expired.headers["WWW-Authenticate"].startswith("Keystone uri=")


# ---- catalog, projects, users, domains, regions ----------------------------------------------------

def _get(stack, path, token, **params):
    return requests.get(stack.url(path), headers={"X-Auth-Token": token}, params=params, timeout=30)


def test_catalog_lists_block_storage_under_both_types_with_the_project_in_the_url(api):
    r = login(api)
    token, project_id = r.headers["X-Subject-Token"], r.json()["token"]["project"]["id"]
    catalog = {svc["type"]: svc for svc in r.json()["token"]["catalog"]}
    for stype in ("block-storage", "volumev3"):
        assert {e["url"] for e in catalog[stype]["endpoints"]} == {api.url(f"/volume/v3/{project_id}")}
    assert len({e["id"] for svc in catalog.values() for e in svc["endpoints"]}) == 3 * len(catalog)

    body = _get(api, "/identity/v3/auth/catalog", token).json()
    assert {svc["type"] for svc in body["catalog"]} == set(catalog)
    # keystonemiddleware validates with ?nocatalog: the token without its catalog.
    r = requests.get(api.url(TOKENS + "?nocatalog"), timeout=30,
                     headers={"X-Auth-Token": token, "X-Subject-Token": token})
    assert r.status_code == 200 and "catalog" not in r.json()["token"] and r.json()["token"]["project"]


def test_projects_and_users_for_an_admin(api):
    admin = api.token()
    projects = _get(api, "/identity/v3/projects", admin).json()["projects"]
    by_name = {p["name"]: p for p in projects}
    assert {"admin", "alpha", "beta"} <= set(by_name)
    alpha = by_name["alpha"]
    assert (alpha["domain_id"], alpha["enabled"], alpha["is_domain"]) == ("default", True, False)
    assert alpha["links"]["self"] == api.url(f"/identity/v3/projects/{alpha['id']}")
    assert [p["name"] for p in _get(api, "/identity/v3/projects", admin, name="beta").json()["projects"]] == ["beta"]
    assert _get(api, f"/identity/v3/projects/{alpha['id']}", admin).json()["project"] == alpha

    users = {u["name"]: u for u in _get(api, "/identity/v3/users", admin).json()["users"]}
    assert {"admin", "alice", "bob"} <= set(users)
    alice = users["alice"]
    assert alice["domain_id"] == "default" and alice["enabled"] is True
    assert _get(api, f"/identity/v3/users/{alice['id']}", admin).json()["user"]["name"] == "alice"
    mine = _get(api, f"/identity/v3/users/{alice['id']}/projects", admin).json()["projects"]
    assert [p["name"] for p in mine] == ["alpha"]
    assert [u["name"] for u in _get(api, "/identity/v3/users", admin, name="bob").json()["users"]] == ["bob"]


def test_a_member_reads_itself_and_its_projects_only(api):
    r = login(api, user="alice", password="alice-pw", project="alpha")
    alice, me = r.headers["X-Subject-Token"], r.json()["token"]["user"]["id"]
    alpha = r.json()["token"]["project"]["id"]
    for path in ("/identity/v3/projects", "/identity/v3/users"):
        assert_keystone_error(_get(api, path, alice), 403, "Forbidden")
    assert _get(api, f"/identity/v3/projects/{alpha}", alice).json()["project"]["name"] == "alpha"
    beta = login(api, user="bob", password="bob-pw", project="beta").json()["token"]["project"]["id"]
    assert_keystone_error(_get(api, f"/identity/v3/projects/{beta}", alice), 404, "Not Found")
    assert _get(api, f"/identity/v3/users/{me}", alice).json()["user"]["name"] == "alice"
    admin_id = login(api).json()["token"]["user"]["id"]
    assert_keystone_error(_get(api, f"/identity/v3/users/{admin_id}", alice), 404, "Not Found")
    assert_keystone_error(_get(api, f"/identity/v3/users/{admin_id}/projects", alice), 404, "Not Found")
    assert [p["name"] for p in _get(api, f"/identity/v3/users/{me}/projects", alice).json()["projects"]] == [
        "alpha"]


def test_an_unscoped_token_lists_the_projects_it_may_scope_to(api):
    unscoped = login(api, user="alice", password="alice-pw", project=None).headers["X-Subject-Token"]
    body = _get(api, "/identity/v3/auth/projects", unscoped).json()
    assert [p["name"] for p in body["projects"]] == ["alpha"] and body["links"]["next"] is None
    assert [d["id"] for d in _get(api, "/identity/v3/auth/domains", unscoped).json()["domains"]] == ["default"]
    assert_keystone_error(_get(api, "/identity/v3/auth/catalog", unscoped), 404, "Not Found")


def test_domains_and_regions(api):
    token = api.token("alice", "alice-pw", "alpha")
    (domain,) = _get(api, "/identity/v3/domains", token).json()["domains"]
    assert (domain["id"], domain["name"], domain["enabled"]) == ("default", "Default", True)
    assert _get(api, "/identity/v3/domains/default", token).json()["domain"]["name"] == "Default"
    assert _get(api, "/identity/v3/domains", token, name="Other").json()["domains"] == []
    assert_keystone_error(_get(api, "/identity/v3/domains/other", token), 404, "Not Found")
    assert [r["id"] for r in _get(api, "/identity/v3/regions", token).json()["regions"]] == ["RegionOne"]
    assert _get(api, "/identity/v3/regions/RegionOne", token).status_code == 200
    assert_keystone_error(_get(api, "/identity/v3/regions/Elsewhere", token), 404, "Not Found")


def test_default_roles_imply_each_other_and_a_reader_only_reads(api):
    api.manage("user_create", "rita", "--project", "alpha", "--role", "reader", USER_PASSWORD="rita-pw")
    roles = lambda **kw: sorted(r["name"] for r in login(api, **kw).json()["token"]["roles"])  # noqa: E731
    assert roles(user="rita", password="rita-pw", project="alpha") == ["reader"]
    assert roles(user="alice", password="alice-pw", project="alpha") == ["member", "reader"]
    assert roles() == ["admin", "manager", "member", "reader"]
    admin = api.token()
    inferences = {(i["prior_role"]["name"], tuple(r["name"] for r in i["implies"]))
                  for i in _get(api, "/identity/v3/role_inferences", admin).json()["role_inferences"]}
    assert inferences == {("admin", ("manager",)), ("manager", ("member",)), ("member", ("reader",))}
    assert {r["name"] for r in _get(api, "/identity/v3/roles", admin).json()["roles"]} == {
        "admin", "manager", "member", "reader"}

    rita = api.token("rita", "rita-pw", "alpha")
    alice = api.token("alice", "alice-pw", "alpha")
    assert api.get("/compute/v2.1/servers", token=rita).status_code == 200
    assert api.get("/compute/v2.1/os-keypairs", token=rita).status_code == 200
    # Every write of a reader is 403 in the OpenStack shape, whatever the service.
    writes = [("POST", "/compute/v2.1/os-keypairs", {"keypair": {"name": "k"}}),
              ("POST", "/compute/v2.1/servers", {"server": {"name": "s", "imageRef": "x", "flavorRef": "1"}}),
              ("POST", "/compute/v2.1/os-server-groups", {"server_group": {"name": "g", "policies": ["affinity"]}}),
              ("POST", "/image/v2/images", {"name": "i", "disk_format": "raw", "container_format": "bare"})]
    for method, path, body in writes:
        assert_fault(api.request(method, path, token=rita, json=body), 403, "reader")
    r = api.request("POST", "/compute/v2.1/os-keypairs", token=alice, json={"keypair": {"name": "k"}})
    assert r.status_code == 200, r.text  # the member of the same project may
    # A reader may still revoke its own token.
    assert api.request("DELETE", TOKENS, token=rita, headers={"X-Subject-Token": rita}).status_code == 204
