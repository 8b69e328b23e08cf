"""The network service (/network/v2.0) against a live stack: Neutron's shapes, errors, filters, `fields`,
pagination, tenant isolation, the default security group, quotas, floating IPs, and atomic address
allocation under 50 concurrent creates on PostgreSQL and on SQLite."""
import ipaddress
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .stack import REPO, Stack

STACK = {"hosts": [], "users": {"alice": "proj-a", "bob": "proj-b", "carol": "proj-c"}}
NET = "/network/v2.0"


@pytest.fixture(scope="module")
def tokens(api):
    return {"admin": api.token(), "alice": api.token("alice", "alice-pw", "proj-a"),
            "bob": api.token("bob", "bob-pw", "proj-b"), "carol": api.token("carol", "carol-pw", "proj-c")}


def create(api, kind: str, token: str, **body) -> dict:
    singular = kind.rstrip("s").replace("-", "_") if kind != "security-groups" else "security_group"
    singular = {"security-group-rules": "security_group_rule"}.get(kind, singular)
    r = api.post(f"{NET}/{kind}", json={singular: body}, token=token)
    assert r.status_code == 201, r.text
    return r.json()[singular]


def neutron_error(r, code: int, type_: str | None = None) -> dict:
    assert r.status_code == code, r.text
    err = r.json()["NeutronError"]
    assert set(err) == {"type", "message", "detail"} and err["message"]
    if type_:
        assert err["type"] == type_, err
    return err


def test_version_document_and_catalog(api, tokens):
    r = requests.get(api.url("/network/"), timeout=10)
    assert r.status_code == 200 and r.json()["versions"][0]["id"] == "v2.0"
    resources = requests.get(api.url(f"{NET}/"), timeout=10).json()["resources"]
    assert {x["collection"] for x in resources} >= {"networks", "subnets", "ports", "security_groups",
                                                    "floatingips"}
    token = api.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": tokens["alice"]}).json()["token"]
    network = [s for s in token["catalog"] if s["type"] == "network"]
    assert network and network[0]["endpoints"][0]["url"].endswith("/network")
    assert api.get(f"{NET}/extensions", token=tokens["alice"]).status_code == 200


def test_network_subnet_port_shapes_and_defaults(api, tokens):
    t = tokens["alice"]
    net = create(api, "networks", t, name="shapes")
    assert {"id", "name", "status", "admin_state_up", "shared", "router:external", "mtu", "subnets", "tenant_id",
            "project_id", "created_at"} <= set(net)
    assert net["status"] == "ACTIVE" and net["shared"] is False and net["router:external"] is False
    subnet = create(api, "subnets", t, network_id=net["id"], cidr="10.10.0.0/24", ip_version=4,
                    dns_nameservers=["10.10.0.53"])
    assert subnet["gateway_ip"] == "10.10.0.1"
    assert subnet["allocation_pools"] == [{"start": "10.10.0.2", "end": "10.10.0.254"}]
    v6 = create(api, "subnets", t, network_id=net["id"], cidr="fd00:10::/64", ip_version=6)
    port = create(api, "ports", t, network_id=net["id"], name="p1")
    assert port["status"] == "DOWN" and port["mac_address"].startswith("fa:16:3e:")
    ips = {ip["subnet_id"]: ip["ip_address"] for ip in port["fixed_ips"]}
    assert ipaddress.ip_address(ips[subnet["id"]]) in ipaddress.ip_network("10.10.0.0/24")
    assert ipaddress.ip_address(ips[v6["id"]]) in ipaddress.ip_network("fd00:10::/64")
    assert ips[subnet["id"]] != "10.10.0.1"
    default = api.get(f"{NET}/security-groups?name=default", token=t).json()["security_groups"]
    assert port["security_groups"] == [default[0]["id"]]
    shown = api.get(f"{NET}/networks/{net['id']}", token=t).json()["network"]
    assert set(shown["subnets"]) == {subnet["id"], v6["id"]}
    # a fixed address, then the same one again
    address = api.unused_address(net["id"], "10.10.0.0/24")
    fixed = create(api, "ports", t, network_id=net["id"], fixed_ips=[{"ip_address": address}])
    assert fixed["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": address}]
    r = api.post(f"{NET}/ports", json={"port": {"network_id": net["id"], "fixed_ips": [{"ip_address": address}]}},
                 token=t)
    neutron_error(r, 409, "IpAddressAlreadyAllocated")
    r = api.post(f"{NET}/ports", json={"port": {"network_id": net["id"], "mac_address": port["mac_address"]}},
                 token=t)
    neutron_error(r, 409, "MacAddressInUse")
    # update and delete
    r = api.request("PUT", f"{NET}/ports/{fixed['id']}", json={"port": {"name": "renamed"}}, token=t)
    assert r.status_code == 200 and r.json()["port"]["name"] == "renamed"
    neutron_error(api.delete(f"{NET}/networks/{net['id']}", token=t), 409, "NetworkInUse")
    neutron_error(api.delete(f"{NET}/subnets/{subnet['id']}", token=t), 409, "SubnetInUse")
    assert api.delete(f"{NET}/ports/{fixed['id']}", token=t).status_code == 204
    neutron_error(api.get(f"{NET}/ports/{fixed['id']}", token=t), 404, "PortNotFound")


def test_invalid_input_answers_neutron_errors(api, tokens):
    t = tokens["alice"]
    net = create(api, "networks", t, name="invalid")
    for body in ({"network_id": net["id"], "cidr": "10.0.0.0/33"}, {"network_id": net["id"], "cidr": "nonsense"},
                 {"network_id": net["id"], "cidr": "10.0.0.0/24", "ip_version": 6},
                 {"network_id": net["id"], "cidr": "10.0.0.0/24", "bogus": 1}, {"cidr": "10.0.0.0/24"}):
        neutron_error(api.post(f"{NET}/subnets", json={"subnet": body}, token=t), 400)
    create(api, "subnets", t, network_id=net["id"], cidr="10.20.0.0/24")
    r = api.post(f"{NET}/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.20.0.128/25"}}, token=t)
    neutron_error(r, 400, "InvalidInput")
    neutron_error(api.get(f"{NET}/networks/not-a-uuid", token=t), 404, "NetworkNotFound")
    neutron_error(api.get(f"{NET}/networks?bogus_attr=1", token=t), 400)
    neutron_error(api.post(f"{NET}/networks", json={"network": {"shared": True}}, token=t), 403,
                  "PolicyNotAuthorized")


def test_filters_fields_and_pagination(api, tokens):
    t = tokens["bob"]
    ids = sorted(create(api, "networks", t, name=f"page-{i}", admin_state_up=i % 2 == 0)["id"] for i in range(5))
    listed = api.get(f"{NET}/networks?name=page-3", token=t).json()["networks"]
    assert [n["name"] for n in listed] == ["page-3"]
    down = api.get(f"{NET}/networks?admin_state_up=false", token=t).json()["networks"]
    assert {n["name"] for n in down} == {"page-1", "page-3"}
    two = api.get(f"{NET}/networks?id={ids[0]}&id={ids[1]}&fields=id&fields=name", token=t).json()["networks"]
    assert sorted(n["id"] for n in two) == ids[:2] and all(set(n) == {"id", "name"} for n in two)
    seen, url = [], f"{NET}/networks?limit=2"
    while url:
        body = api.get(url, token=t).json()
        seen += [n["id"] for n in body["networks"]]
        nxt = [link["href"] for link in body.get("networks_links", []) if link["rel"] == "next"]
        url = nxt[0].split(api.url(""), 1)[1] if nxt else None
    assert seen == ids
    back = api.get(f"{NET}/networks?limit=2&marker={ids[4]}&page_reverse=true", token=t).json()
    assert [n["id"] for n in back["networks"]] == ids[2:4]
    neutron_error(api.get(f"{NET}/networks?marker=00000000-0000-0000-0000-000000000001", token=t), 404)


def test_tenant_isolation_shared_and_admin(api, tokens):
    a, b, admin = tokens["alice"], tokens["bob"], tokens["admin"]
    private = create(api, "networks", a, name="alice-private")
    neutron_error(api.get(f"{NET}/networks/{private['id']}", token=b), 404)
    neutron_error(api.delete(f"{NET}/networks/{private['id']}", token=b), 404)
    assert private["id"] not in [n["id"] for n in api.get(f"{NET}/networks", token=b).json()["networks"]]
    shared = create(api, "networks", admin, name="shared-net", shared=True)
    create(api, "subnets", admin, network_id=shared["id"], cidr="10.30.0.0/24")
    assert api.get(f"{NET}/networks/{shared['id']}", token=b).status_code == 200
    port = create(api, "ports", b, network_id=shared["id"])  # a project may use a shared network
    neutron_error(api.get(f"{NET}/ports/{port['id']}", token=a), 404)
    assert api.get(f"{NET}/ports/{port['id']}", token=admin).status_code == 200
    neutron_error(api.delete(f"{NET}/networks/{shared['id']}", token=b), 404)
    r = api.post(f"{NET}/networks", json={"network": {"name": "x", "project_id": "someone-else"}}, token=a)
    assert r.status_code == 400


def test_default_security_group_rules_and_duplicates(api, tokens):
    t = tokens["bob"]
    groups = api.get(f"{NET}/security-groups", token=t).json()["security_groups"]
    default = [g for g in groups if g["name"] == "default"]
    assert len(default) == 1
    rules = default[0]["security_group_rules"]
    assert sorted((r["direction"], r["ethertype"], r["remote_group_id"] is not None) for r in rules) == [
        ("egress", "IPv4", False), ("egress", "IPv6", False), ("ingress", "IPv4", True), ("ingress", "IPv6", True)]
    web = create(api, "security-groups", t, name="web")
    assert {r["direction"] for r in web["security_group_rules"]} == {"egress"}
    rule = create(api, "security-group-rules", t, security_group_id=web["id"], direction="ingress", protocol="tcp",
                  port_range_min=80, port_range_max=80, remote_ip_prefix="0.0.0.0/0")
    assert rule["port_range_min"] == 80 and rule["protocol"] == "tcp"
    r = api.post(f"{NET}/security-group-rules", json={"security_group_rule": {
        "security_group_id": web["id"], "direction": "ingress", "protocol": "tcp", "port_range_min": 80,
        "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0"}}, token=t)
    neutron_error(r, 409, "SecurityGroupRuleExists")
    r = api.post(f"{NET}/security-group-rules", json={"security_group_rule": {
        "security_group_id": web["id"], "direction": "sideways"}}, token=t)
    neutron_error(r, 400)
    neutron_error(api.delete(f"{NET}/security-groups/{default[0]['id']}", token=t), 409)
    assert api.delete(f"{NET}/security-group-rules/{rule['id']}", token=t).status_code == 204
    assert api.delete(f"{NET}/security-groups/{web['id']}", token=t).status_code == 204


def test_concurrent_first_port_creates_make_one_default_group(api, tokens):
    """A project's first ports, created at once, all land in one `default` group: each create reads the group
    with the network, and the ones that find none make it under the one-default-per-project constraint."""
    t = tokens["carol"]  # a project that has used nothing yet
    net = create(api, "networks", t, name="first-use")
    create(api, "subnets", t, network_id=net["id"], cidr="10.80.0.0/24")
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: api.post(f"{NET}/ports", json={"port": {"network_id": net["id"]}},
                                                     token=t), range(8)))
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses if r.status_code != 201]
    groups = api.get(f"{NET}/security-groups?name=default", token=t).json()["security_groups"]
    assert len(groups) == 1
    assert {tuple(r.json()["port"]["security_groups"]) for r in responses} == {(groups[0]["id"],)}
    for r in responses:  # a create answers with what a read shows
        port = r.json()["port"]
        assert api.get(f"{NET}/ports/{port['id']}", token=t).json()["port"] == port


def test_quotas(api, tokens):
    a, admin = tokens["alice"], tokens["admin"]
    me = api.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": a}).json()["token"]["project"]["id"]
    quota = api.get(f"{NET}/quotas/{me}", token=a).json()["quota"]
    assert quota["network"] == 100 and quota["port"] == 500
    assert api.request("PUT", f"{NET}/quotas/{me}", json={"quota": {"network": 1}}, token=a).status_code == 403
    used = api.get(f"{NET}/quotas/{me}/details", token=a).json()["quota"]["network"]["used"]
    r = api.request("PUT", f"{NET}/quotas/{me}", json={"quota": {"network": used}}, token=admin)
    assert r.status_code == 200 and r.json()["quota"]["network"] == used
    neutron_error(api.post(f"{NET}/networks", json={"network": {"name": "one-too-many"}}, token=a), 409, "OverQuota")
    assert me in [q["project_id"] for q in api.get(f"{NET}/quotas", token=admin).json()["quotas"]]
    assert api.delete(f"{NET}/quotas/{me}", token=admin).status_code == 204
    create(api, "networks", a, name="fits-again")


def test_floating_ip_on_an_external_network(api, tokens):
    b, admin = tokens["bob"], tokens["admin"]
    public = create(api, "networks", admin, name="public", **{"router:external": True})
    create(api, "subnets", admin, network_id=public["id"], cidr="203.0.113.0/29")
    neutron_error(api.post(f"{NET}/networks/{public['id']}", json={}, token=b), 405)
    private = create(api, "networks", b, name="bob-fip")
    create(api, "subnets", b, network_id=private["id"], cidr="10.40.0.0/24")
    port = create(api, "ports", b, network_id=private["id"])
    fip = create(api, "floatingips", b, floating_network_id=public["id"])
    assert ipaddress.ip_address(fip["floating_ip_address"]) in ipaddress.ip_network("203.0.113.0/29")
    assert fip["port_id"] is None and fip["status"] == "DOWN"
    r = api.request("PUT", f"{NET}/floatingips/{fip['id']}", json={"floatingip": {"port_id": port["id"]}}, token=b)
    assert r.status_code == 200, r.text
    assert r.json()["floatingip"]["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"]
    r = api.post(f"{NET}/floatingips", json={"floatingip": {"floating_network_id": private["id"]}}, token=b)
    neutron_error(r, 400)
    assert api.delete(f"{NET}/floatingips/{fip['id']}", token=b).status_code == 204
    assert api.get(f"{NET}/ports?device_owner=network:floatingip", token=admin).json()["ports"] == []


def test_the_dhcp_port_holds_an_address_of_each_dhcp_subnet(api, tokens):
    """As Neutron's DHCP agent: one network:dhcp port per network, an address from each DHCP-enabled subnet's
    pool (so no other port gets the DHCP server's address), gone with DHCP or the subnets."""
    t = tokens["alice"]
    net = create(api, "networks", t, name="dhcpnet")
    first = create(api, "subnets", t, network_id=net["id"], cidr="10.71.0.0/29")  # pool .2-.6
    second = create(api, "subnets", t, network_id=net["id"], cidr="10.72.0.0/29", enable_dhcp=False)

    def dhcp_port():
        ports = api.get(f"{NET}/ports?network_id={net['id']}&device_owner=network:dhcp", token=t).json()["ports"]
        assert len(ports) <= 1
        return ports[0] if ports else None

    port = dhcp_port()
    assert port["device_id"] == f"dhcp-{net['id']}" and port["security_groups"] == []
    [ip] = port["fixed_ips"]
    assert ip["subnet_id"] == first["id"] and ip["ip_address"] in {f"10.71.0.{n}" for n in range(2, 7)}
    neutron_error(api.delete(f"{NET}/ports/{port['id']}", token=t), 409)
    assert api.request("PUT", f"{NET}/subnets/{second['id']}", json={"subnet": {"enable_dhcp": True}},
                       token=t).status_code == 200
    assert {i["subnet_id"] for i in dhcp_port()["fixed_ips"]} == {first["id"], second["id"]}
    assert dhcp_port()["id"] == port["id"]
    others = [create(api, "ports", t, network_id=net["id"], fixed_ips=[{"subnet_id": first["id"]}])
              for _ in range(4)]  # the pool's other four addresses
    neutron_error(api.post(f"{NET}/ports", json={"port": {"network_id": net["id"], "fixed_ips": [
        {"subnet_id": first["id"]}]}}, token=t), 409, "IpAddressGenerationFailure")
    assert ip["ip_address"] not in {o["fixed_ips"][0]["ip_address"] for o in others}
    for o in others:
        assert api.delete(f"{NET}/ports/{o['id']}", token=t).status_code == 204
    assert api.request("PUT", f"{NET}/subnets/{first['id']}", json={"subnet": {"enable_dhcp": False}},
                       token=t).status_code == 200
    assert [i["subnet_id"] for i in dhcp_port()["fixed_ips"]] == [second["id"]]
    assert api.delete(f"{NET}/subnets/{second['id']}", token=t).status_code == 204  # its DHCP address with it
    assert dhcp_port() is None
    assert api.delete(f"{NET}/networks/{net['id']}", token=t).status_code == 204


def _race(url: str, token: str, network_id: str, n: int = 50) -> list[requests.Response]:
    def one(_):
        return requests.post(f"{url}{NET}/ports", json={"port": {"network_id": network_id}},
                             headers={"X-Auth-Token": token}, timeout=120)
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def _check_race(responses, free: int, taken: set[str]) -> None:
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == free, codes
    assert all(r.status_code == 409 and r.json()["NeutronError"]["type"] == "IpAddressGenerationFailure"
               for r in responses if r.status_code != 201), [r.text for r in responses if r.status_code != 201][:3]
    ports = [r.json()["port"] for r in responses if r.status_code == 201]
    ips = [p["fixed_ips"][0]["ip_address"] for p in ports]
    assert len(set(ips)) == len(ips) == free and not taken & set(ips)
    assert len({p["mac_address"] for p in ports}) == free


def _dhcp_addresses(api, token: str, network_id: str) -> set[str]:
    [port] = api.get(f"{NET}/ports?network_id={network_id}&device_owner=network:dhcp", token=token).json()["ports"]
    return {ip["ip_address"] for ip in port["fixed_ips"]}


def test_fifty_concurrent_port_creates_on_a_slash_28_postgresql(api, tokens):
    t = tokens["admin"]
    me = api.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": t}).json()["token"]["project"]["id"]
    # Unlimited ports, so nothing but the address constraint serializes the creates.
    api.request("PUT", f"{NET}/quotas/{me}", json={"quota": {"port": -1}}, token=t)
    net = create(api, "networks", t, name="race")
    create(api, "subnets", t, network_id=net["id"], cidr="10.50.0.0/28")  # .2-.14: 13, one the DHCP port's
    _check_race(_race(api.url(""), t, net["id"]), free=12, taken=_dhcp_addresses(api, t, net["id"]))


def test_fifty_concurrent_port_creates_on_a_slash_28_sqlite(tmp_path):
    db = tmp_path / "db.sqlite3"
    stack = Stack(database_url=f"sqlite:///{db}", redis_url="redis://127.0.0.1:1/0", workdir=tmp_path, hosts=[],
                  env_extra={"QUOTA_PORT": "-1"})
    for cmd in (["migrate", "--noinput", "-v0"], ["bootstrap"]):
        subprocess.run([sys.executable, "manage.py", *cmd], cwd=REPO, env=stack.env, check=True, capture_output=True)
    stack.start_api()
    try:
        stack.wait_until(stack._api_up, timeout=60, what="the API on SQLite")
        t = stack.token()
        net = create(stack, "networks", t, name="race")
        create(stack, "subnets", t, network_id=net["id"], cidr="10.60.0.0/28")
        _check_race(_race(stack.url(""), t, net["id"]), free=12, taken=_dhcp_addresses(stack, t, net["id"]))
    finally:
        stack.stop()
