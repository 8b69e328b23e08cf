"""Nova's deprecated proxies (os-security-groups, os-security-group-rules, os-floating-ips, os-floating-ip-pools,
os-volumes, os-tenant-networks; 2.1 to 2.35) and host aggregates, on a live stack with two fake hosts: Tempest's
schemas on every body, 404 from 2.36, Nova's error codes, the proxies and the Neutron-/Cinder-shaped APIs seeing
the same rows, and availability zones from aggregate metadata placing servers."""
import json
import subprocess
from pathlib import Path

import pytest

from devtools.tempest import ensure_venv

from .stack import ADMIN_PASSWORD

STACK = {"hosts": ["node1", "node2"], "users": {"alice": "proj-a", "bob": "proj-b"}}
NET = "/network/v2.0"
V = "/compute/v2.1"
PROBE = Path(__file__).with_name("tempest_proxy_probe.py")


def at(version: str) -> dict:
    return {"headers": {"OpenStack-API-Version": f"compute {version}"}}


@pytest.fixture(scope="module")
def tokens(api):
    return {"admin": api.token(), "alice": api.token("alice", "alice-pw", "proj-a"),
            "bob": api.token("bob", "bob-pw", "proj-b")}


@pytest.fixture(scope="module", autouse=True)
def export(api, tmp_path_factory):
    """A bind-mount export, and the volume service (the conductor worker), to create volumes on."""
    api.start_conductor()
    share = tmp_path_factory.mktemp("exports")
    r = api.post("/api/v1/exports", json={"export": {"name": "e1", "share": str(share), "fstype": "bind"}})
    assert r.status_code == 201, r.text


@pytest.fixture(scope="module")
def nets(api):
    """As an operator: a shared network and an external one (the floating IP pool), each with a subnet."""
    ids = {}
    for name, attrs, cidr in (("shared", {"shared": True}, "10.20.0.0/24"),
                              ("public", {"router:external": True}, "172.24.9.0/24")):
        r = api.post(f"{NET}/networks", json={"network": {"name": name, **attrs}})
        assert r.status_code == 201, r.text
        ids[name] = r.json()["network"]["id"]
        r = api.post(f"{NET}/subnets", json={"subnet": {"network_id": ids[name], "cidr": cidr, "ip_version": 4}})
        assert r.status_code == 201, r.text
    return ids


def act(api, server_id: str, body: dict, token: str, version: str):
    return api.post(f"{V}/servers/{server_id}/action", json=body, token=token, **at(version))


def boot_active(api, token=None, **server) -> dict:
    r = api.boot(token=token, **server)
    assert r.status_code == 202, r.text
    return api.wait_status(r.json()["server"]["id"], "ACTIVE")


def test_proxy_and_aggregate_bodies_match_tempest_schemas(api, nets):
    server = boot_active(api, name="probe")
    cfg = {"auth_url": api.url("/identity/v3"), "username": "admin", "password": ADMIN_PASSWORD,
           "project": "admin", "pool": "public", "server_id": server["id"], "host": "node1",
           "network_id": nets["shared"]}
    res = subprocess.run([str(ensure_venv() / "python"), str(PROBE)], input=json.dumps(cfg), capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout)
    assert len(out["checked"]) >= 35, out["checked"]  # a probe that silently checked nothing would pass
    assert not out["failures"], "\n\n".join(f"{k}:\n{v}" for k, v in out["failures"].items())
    api.delete(f"{V}/servers/{server['id']}")


@pytest.mark.parametrize("path", ["os-security-groups", "os-floating-ips", "os-floating-ip-pools", "os-volumes",
                                  "os-volumes/detail", "os-tenant-networks", "os-networks"])
def test_proxies_answer_below_2_36_only(api, tokens, nets, path):
    assert api.get(f"{V}/{path}", token=tokens["alice"], **at("2.35")).status_code == 200
    r = api.get(f"{V}/{path}", token=tokens["alice"], **at("2.36"))
    assert r.status_code == 404 and "itemNotFound" in r.json()


def test_security_group_proxy_is_the_network_service(api, tokens, nets):
    t, v = tokens["alice"], at("2.35")
    r = api.post(f"{V}/os-security-groups", json={"security_group": {"name": "web", "description": "w"}},
                 token=t, **v)
    assert r.status_code == 200, r.text
    gid = r.json()["security_group"]["id"]
    rule = api.post(f"{V}/os-security-group-rules", json={"security_group_rule": {
        "parent_group_id": gid, "ip_protocol": "tcp", "from_port": 80, "to_port": 81, "cidr": "10.2.3.124/24"}},
        token=t, **v)
    assert rule.status_code == 200, rule.text
    assert rule.json()["security_group_rule"]["ip_range"] == {"cidr": "10.2.3.124/24"}
    # The very rule, seen through the Neutron-shaped API.
    neutron = api.get(f"{NET}/security-group-rules/{rule.json()['security_group_rule']['id']}", token=t).json()
    assert neutron["security_group_rule"]["port_range_min"] == 80 and neutron["security_group_rule"][
        "direction"] == "ingress"
    # Nova's 400s: a duplicate, a bad protocol, a bad range, a cidr rule without protocol; 404 for no parent.
    for body, code in (({"ip_protocol": "tcp", "from_port": 80, "to_port": 81, "cidr": "10.2.3.124/24"}, 400),
                       ({"ip_protocol": "gre", "from_port": 1, "to_port": 2}, 400),
                       ({"ip_protocol": "tcp", "from_port": 90, "to_port": 80}, 400),
                       ({"cidr": "10.0.0.0/8"}, 400)):
        r = api.post(f"{V}/os-security-group-rules", json={"security_group_rule": {"parent_group_id": gid, **body}},
                     token=t, **v)
        assert r.status_code == code, (body, r.text)
    missing = "6f2d4e3a-0000-4000-8000-000000000000"
    r = api.post(f"{V}/os-security-group-rules", json={"security_group_rule": {
        "parent_group_id": missing, "ip_protocol": "tcp", "from_port": 1, "to_port": 2}}, token=t, **v)
    assert r.status_code == 404
    # Another project sees nothing of it; the default group is not deletable (400, Nova's code for Neutron's 409).
    assert api.get(f"{V}/os-security-groups/{gid}", token=tokens["bob"], **v).status_code == 404
    assert gid not in [g["id"] for g in api.get(f"{V}/os-security-groups", token=tokens["bob"], **v).json()[
        "security_groups"]]
    groups = api.get(f"{V}/os-security-groups", token=t, **v).json()["security_groups"]
    default = next(g for g in groups if g["name"] == "default")
    assert api.delete(f"{V}/os-security-groups/{default['id']}", token=t, **v).status_code == 400
    assert api.delete(f"{V}/os-security-groups/{gid}", token=t, **v).status_code == 202
    assert api.get(f"{NET}/security-groups/{gid}", token=t).status_code == 404


def test_floating_ips_allocate_associate_and_release(api, tokens, nets):
    t, v = tokens["alice"], at("2.35")
    server = boot_active(api, token=t, name="fip")
    assert api.post(f"{V}/os-floating-ips", json={"pool": "nowhere"}, token=t, **v).status_code == 404
    assert api.get(f"{V}/os-floating-ip-pools", token=t, **v).json() == {"floating_ip_pools": [{"name": "public"}]}
    r = api.post(f"{V}/os-floating-ips", json={"pool": "public"}, token=t, **v)
    assert r.status_code == 200, r.text
    fip = r.json()["floating_ip"]
    assert fip["pool"] == "public" and fip["instance_id"] is None and fip["fixed_ip"] is None
    r = act(api, server["id"], {"addFloatingIp": {"address": fip["ip"]}}, t, "2.35")
    assert r.status_code == 202, r.text
    fixed = server["addresses"]["shared"][0]["addr"]
    shown = api.get(f"{V}/os-floating-ips/{fip['id']}", token=t, **v).json()["floating_ip"]
    assert shown["instance_id"] == server["id"] and shown["fixed_ip"] == fixed
    neutron = api.get(f"{NET}/floatingips/{fip['id']}", token=t).json()["floatingip"]
    assert neutron["fixed_ip_address"] == fixed and neutron["port_id"]
    # Another server may not remove it (409); an unknown address is 404; from 2.44 the action is gone.
    other = boot_active(api, token=t, name="other")
    assert act(api, other["id"], {"removeFloatingIp": {"address": fip["ip"]}}, t, "2.35").status_code == 409
    assert act(api, other["id"], {"addFloatingIp": {"address": "0.0.0.0"}}, t, "2.35").status_code == 404
    assert act(api, other["id"], {"addFloatingIp": {"address": fip["ip"]}}, t, "2.44").status_code == 404
    assert act(api, server["id"], {"removeFloatingIp": {"address": fip["ip"]}}, t, "2.35").status_code == 202
    assert api.get(f"{NET}/floatingips/{fip['id']}", token=t).json()["floatingip"]["port_id"] is None
    assert api.get(f"{V}/os-floating-ips/{fip['id']}", token=tokens["bob"], **v).status_code == 404
    assert api.delete(f"{V}/os-floating-ips/{fip['id']}", token=t, **v).status_code == 202
    assert api.get(f"{NET}/floatingips/{fip['id']}", token=t).status_code == 404
    for s in (server, other):
        api.delete(f"{V}/servers/{s['id']}", token=t)


def test_volume_proxy_is_the_volume_service(api, tokens):
    t, v = tokens["alice"], at("2.35")
    project = api.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": t}).json()["token"]["project"]["id"]
    cinder = f"/volume/v3/{project}/volumes"
    for body in ({"volume": {"size": 0}}, {"volume": {}}, {"volume": {"size": "x"}}):
        assert api.post(f"{V}/os-volumes", json=body, token=t, **v).status_code == 400, body
    r = api.post(f"{V}/os-volumes", json={"volume": {"size": 1, "display_name": "old-api"}}, token=t, **v)
    assert r.status_code == 200, r.text
    vol = r.json()["volume"]
    assert vol["displayName"] == "old-api" and vol["attachments"] == [{}]
    api.wait_until(lambda: api.get(f"{cinder}/{vol['id']}", token=t).json()["volume"]["status"]
                   == "available", what="volume available")
    assert api.get(f"{V}/os-volumes/{vol['id']}", token=t, **v).json()["volume"]["status"] == "available"
    assert api.get(f"{V}/os-volumes/{vol['id']}", token=tokens["bob"], **v).status_code == 404
    assert api.delete(f"{V}/os-volumes/{vol['id']}", token=t, **v).status_code == 202
    api.wait_until(lambda: api.get(f"{cinder}/{vol['id']}", token=t).status_code == 404,
                   what="volume deleted")


def zones(api) -> dict:
    info = api.get(f"{V}/os-availability-zone/detail").json()["availabilityZoneInfo"]
    return {z["zoneName"]: sorted(z["hosts"] or {}) for z in info}


def test_aggregate_zones_place_servers(api, tokens):
    agg = api.post(f"{V}/os-aggregates", json={"aggregate": {"name": "rack-b", "availability_zone": "zone-b"}})
    assert agg.status_code == 200, agg.text
    aid = agg.json()["aggregate"]["id"]
    assert api.post(f"{V}/os-aggregates", json={"aggregate": {"name": "rack-b"}}).status_code == 409
    assert api.get(f"{V}/os-aggregates", token=tokens["alice"]).status_code == 403
    r = api.post(f"{V}/os-aggregates/{aid}/action", json={"add_host": {"host": "node2"}})
    assert r.status_code == 200 and r.json()["aggregate"]["hosts"] == ["node2"], r.text
    assert zones(api)["zone-b"] == ["node2"] and "node2" not in zones(api)["nova"]
    assert api.post(f"{V}/os-aggregates/{aid}/action", json={"add_host": {"host": "node2"}}).status_code == 409
    assert api.post(f"{V}/os-aggregates/{aid}/action", json={"add_host": {"host": "nowhere"}}).status_code == 404
    # A host is in one zone only.
    other = api.post(f"{V}/os-aggregates", json={"aggregate": {"name": "rack-c", "availability_zone": "zone-c"}})
    oid = other.json()["aggregate"]["id"]
    assert api.post(f"{V}/os-aggregates/{oid}/action", json={"add_host": {"host": "node2"}}).status_code == 409
    # A zone no enabled host is in is not available (Nova's 400, before scheduling).
    r = api.boot(token=tokens["alice"], name="in-c", availability_zone="zone-c")
    assert r.status_code == 400 and "availability zone is not available" in r.json()["badRequest"]["message"]
    # Servers asking for the zone land on its host, whichever host the weighers would prefer.
    servers = [boot_active(api, token=tokens["alice"], name=f"in-b-{i}", availability_zone="zone-b")
               for i in range(2)]
    admin_view = [api.server(s["id"]) for s in servers]
    assert {s["OS-EXT-SRV-ATTR:host"] for s in admin_view} == {"node2"}
    assert {s["OS-EXT-AZ:availability_zone"] for s in admin_view} == {"zone-b"}
    # The zone of hosts with instances does not change; a non-empty aggregate is not deleted.
    r = api.post(f"{V}/os-aggregates/{aid}/action", json={"set_metadata": {"metadata": {"availability_zone": "z"}}})
    assert r.status_code == 400, r.text
    assert api.delete(f"{V}/os-aggregates/{aid}").status_code == 400
    r = api.post(f"{V}/os-aggregates/{aid}/action", json={"set_metadata": {"metadata": {"ssd": "true"}}})
    assert r.json()["aggregate"]["metadata"] == {"availability_zone": "zone-b", "ssd": "true"}
    for s in servers:
        api.delete(f"{V}/servers/{s['id']}")
        api.wait_gone(s["id"])
    r = api.post(f"{V}/os-aggregates/{aid}/action", json={"remove_host": {"host": "node2"}})
    assert r.status_code == 200 and r.json()["aggregate"]["hosts"] == []
    assert "node2" in zones(api)["nova"]
    assert api.post(f"{V}/os-aggregates/{aid}/action", json={"remove_host": {"host": "node2"}}).status_code == 404
    assert api.get(f"{V}/os-aggregates/x").status_code == 400
    for pk in (aid, oid):
        assert api.delete(f"{V}/os-aggregates/{pk}").status_code == 200
    assert api.get(f"{V}/os-aggregates/{aid}").status_code == 404
