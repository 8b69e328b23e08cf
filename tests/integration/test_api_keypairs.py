"""os-keypairs against a live stack: generate, import, fingerprints as Nova computes them, microversion 2.2
shapes, per-user ownership, name validation, quota, and key_name on boot (key_data reaches the instance)."""
import base64
import hashlib

import psycopg2
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


KEYPAIRS = "/compute/v2.1/os-keypairs"


STACK = {"hosts": ["node1"], "users": {"kate": "keys", "liam": "keys"}}


@pytest.fixture(scope="module")
def kate(api):
    return api.token("kate", "kate-pw", "keys")


def call(api, method, path, token, version=None, **kw):
    headers = {"X-Auth-Token": token}
    if version:
        headers["OpenStack-API-Version"] = f"compute {version}"
    return requests.request(method, api.url(path), headers=headers, timeout=30, **kw)


def md5_fingerprint(public_key: str) -> str:
    digest = hashlib.md5(base64.b64decode(public_key.split()[1])).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def openssh_ed25519() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " me@host"


def test_generate_at_2_1_returns_the_private_key_once(api, kate):
    r = call(api, "POST", KEYPAIRS, kate, json={"keypair": {"name": "gen-21"}})
    assert r.status_code == 200, r.text
    kp = r.json()["keypair"]
    assert set(kp) == {"name", "public_key", "fingerprint", "user_id", "private_key"}  # no `type` before 2.2
    assert kp["public_key"].startswith("ssh-rsa ") and kp["fingerprint"] == md5_fingerprint(kp["public_key"])
    private = serialization.load_pem_private_key(kp["private_key"].encode(), password=None)
    assert private.key_size == 2048
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    assert kp["public_key"].startswith(public.decode())

    shown = call(api, "GET", f"{KEYPAIRS}/gen-21", kate).json()["keypair"]
    assert "private_key" not in shown and "type" not in shown
    assert shown["fingerprint"] == kp["fingerprint"] and shown["user_id"] == kp["user_id"]
    assert shown["deleted"] is False and shown["created_at"] and isinstance(shown["id"], int)
    listed = call(api, "GET", KEYPAIRS, kate).json()["keypairs"]
    assert {"keypair": {"name": "gen-21", "public_key": kp["public_key"], "fingerprint": kp["fingerprint"]}} in listed

    r = call(api, "DELETE", f"{KEYPAIRS}/gen-21", kate)
    assert r.status_code == 202 and r.content == b""
    assert call(api, "GET", f"{KEYPAIRS}/gen-21", kate).status_code == 404
    assert call(api, "DELETE", f"{KEYPAIRS}/gen-21", kate).json()["itemNotFound"]["code"] == 404


def test_import_and_microversion_2_2(api, kate):
    public_key = openssh_ed25519()
    r = call(api, "POST", KEYPAIRS, kate, "2.2", json={"keypair": {"name": "imported", "public_key": public_key}})
    assert r.status_code == 201, r.text
    kp = r.json()["keypair"]
    assert kp["type"] == "ssh" and "private_key" not in kp
    assert kp["public_key"] == public_key and kp["fingerprint"] == md5_fingerprint(public_key)
    assert call(api, "GET", KEYPAIRS, kate, "2.2").json()["keypairs"][0]["keypair"]["type"] == "ssh"
    # `type` is refused before 2.2, as Nova's schema does.
    r = call(api, "POST", KEYPAIRS, kate, json={"keypair": {"name": "t21", "type": "ssh"}})
    assert r.status_code == 400, r.text

    r = call(api, "POST", KEYPAIRS, kate, "2.2", json={"keypair": {"name": "cert", "type": "x509"}})
    assert r.status_code == 201, r.text
    cert = x509.load_pem_x509_certificate(r.json()["keypair"]["public_key"].encode())
    assert r.json()["keypair"]["fingerprint"] == cert.fingerprint(hashes.SHA1()).hex(":")
    assert r.json()["keypair"]["private_key"].startswith("-----BEGIN")

    assert call(api, "DELETE", f"{KEYPAIRS}/imported", kate, "2.2").status_code == 204
    assert call(api, "DELETE", f"{KEYPAIRS}/cert", kate, "2.2").status_code == 204


@pytest.mark.parametrize("body,code,text", [
    ({"name": "bad-key", "public_key": "ssh-rsa not-base64"}, 400, "Keypair data is invalid"),
    ({"name": "bad-key", "public_key": "hello"}, 400, "Keypair data is invalid"),
    ({"name": "a/b"}, 400, "unsafe characters"),
    ({"name": " lead"}, 400, "unsafe characters"),
    ({"name": "é"}, 400, "unsafe characters"),
    ({"name": "x" * 256}, 400, "name"),
    ({"name": ""}, 400, "name"),
    ({"public_key": "x"}, 400, "name"),
])
def test_invalid_keypairs_are_400(api, kate, body, code, text):
    r = call(api, "POST", KEYPAIRS, kate, json={"keypair": body})
    assert r.status_code == code, r.text
    assert text in r.json()["badRequest"]["message"]


def test_duplicate_names_conflict_and_keys_are_per_user(api, kate):
    liam = api.token("liam", "liam-pw", "keys")
    assert call(api, "POST", KEYPAIRS, kate, json={"keypair": {"name": "dup"}}).status_code == 200
    r = call(api, "POST", KEYPAIRS, kate, json={"keypair": {"name": "dup"}})
    assert r.status_code == 409 and "already exists" in r.json()["conflictingRequest"]["message"]
    # Another user of the same project neither sees it nor collides with it.
    assert call(api, "GET", f"{KEYPAIRS}/dup", liam).status_code == 404
    assert call(api, "GET", KEYPAIRS, liam).json()["keypairs"] == []
    assert call(api, "POST", KEYPAIRS, liam, json={"keypair": {"name": "dup"}}).status_code == 200


def test_key_name_on_boot(api, kate):
    public_key = openssh_ed25519()
    assert call(api, "POST", KEYPAIRS, kate, json={"keypair": {"name": "bootkey", "public_key": public_key}}
                ).status_code == 200
    r = api.boot(name="with-key", token=kate, key_name="bootkey")
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    assert api.wait_status(sid, "ACTIVE")["key_name"] == "bootkey"
    with psycopg2.connect(api.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT key_name, key_data FROM compute_instance WHERE uuid = %s", (sid,))
        assert cur.fetchone() == ("bootkey", public_key)
    # The server keeps its copy when the key pair goes.
    assert call(api, "DELETE", f"{KEYPAIRS}/bootkey", kate).status_code == 202
    assert api.server(sid)["key_name"] == "bootkey"

    r = api.boot(name="no-key", token=kate, key_name="missing")
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == "Invalid key_name provided."


def test_key_pairs_quota(api, kate):
    liam = api.token("liam", "liam-pw", "keys")
    for kp in call(api, "GET", KEYPAIRS, liam).json()["keypairs"]:
        call(api, "DELETE", f"{KEYPAIRS}/{kp['keypair']['name']}", liam)
    project = requests.get(api.url("/identity/v3/auth/tokens"), timeout=30,
                           headers={"X-Auth-Token": liam, "X-Subject-Token": liam}).json()["token"]["project"]["id"]
    r = api.request("PUT", f"/compute/v2.1/os-quota-sets/{project}", json={"quota_set": {"key_pairs": 2}})
    assert r.status_code == 200, r.text
    try:
        for name in ("q1", "q2"):
            assert call(api, "POST", KEYPAIRS, liam, json={"keypair": {"name": name}}).status_code == 200
        r = call(api, "POST", KEYPAIRS, liam, json={"keypair": {"name": "q3"}})
        assert r.status_code == 403 and r.json()["forbidden"]["message"] == "Quota exceeded, too many key pairs."
    finally:
        api.request("DELETE", f"/compute/v2.1/os-quota-sets/{project}")
