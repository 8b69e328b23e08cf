"""The network API where Tempest's network suite holds us to Neutron's exact answers: bulk create (all or
none), extension show, the agents list, filter validation, subnets of external networks, and the security
group rule and name checks (Neutron's codes and words, never a 500)."""
import pytest

from .test_network_api import NET, create, neutron_error

STACK = {"hosts": [], "users": {"carol": "proj-c", "dave": "proj-d"}}


@pytest.fixture(scope="module")
def tokens(api):
    return {"admin": api.token(), "carol": api.token("carol", "carol-pw", "proj-c"),
            "dave": api.token("dave", "dave-pw", "proj-d")}


def _ids(api, kind: str, token: str) -> set[str]:
    plural = kind.replace("-", "_")
    return {x["id"] for x in api.get(f"{NET}/{kind}", token=token).json()[plural]}


def test_bulk_create_makes_every_item_or_none(api, tokens):
    t = tokens["carol"]
    r = api.post(f"{NET}/networks", json={"networks": [{"name": "bulk-1"}, {"name": "bulk-2"}]}, token=t)
    assert r.status_code == 201, r.text
    nets = r.json()["networks"]
    assert [n["name"] for n in nets] == ["bulk-1", "bulk-2"] and {n["id"] for n in nets} <= _ids(api, "networks", t)
    r = api.post(f"{NET}/subnets", json={"subnets": [
        {"network_id": nets[0]["id"], "cidr": "10.81.0.0/24", "ip_version": 4, "name": "s1"},
        {"network_id": nets[1]["id"], "cidr": "10.82.0.0/24", "ip_version": 4}]}, token=t)
    assert r.status_code == 201, r.text
    assert [s["cidr"] for s in r.json()["subnets"]] == ["10.81.0.0/24", "10.82.0.0/24"]
    r = api.post(f"{NET}/ports", json={"ports": [{"network_id": nets[0]["id"], "name": "p1"},
                                                 {"network_id": nets[1]["id"], "admin_state_up": False}]}, token=t)
    assert r.status_code == 201, r.text
    ports = r.json()["ports"]
    assert [p["admin_state_up"] for p in ports] == [True, False] and all(p["fixed_ips"] for p in ports)

    # A failing item (the second port asks for the first's address) leaves nothing of the first.
    before = _ids(api, "ports", t)
    taken = ports[0]["fixed_ips"][0]["ip_address"]
    r = api.post(f"{NET}/ports", json={"ports": [
        {"network_id": nets[0]["id"], "name": "would-be-made"},
        {"network_id": nets[0]["id"], "fixed_ips": [{"ip_address": taken}]}]}, token=t)
    neutron_error(r, 409, "IpAddressAlreadyAllocated")
    assert _ids(api, "ports", t) == before
    # Invalid items are refused before anything is made; an empty or non-list body is a 400.
    neutron_error(api.post(f"{NET}/networks", json={"networks": [{"name": "ok"}, {"bogus": 1}]}, token=t), 400)
    neutron_error(api.post(f"{NET}/networks", json={"networks": []}, token=t), 400)
    neutron_error(api.post(f"{NET}/networks", json={"networks": {"name": "x"}}, token=t), 400)
    assert "ok" not in {n["name"] for n in api.get(f"{NET}/networks", token=t).json()["networks"]}


def test_extensions_show_and_filter_validation(api, tokens):
    t = tokens["carol"]
    listed = api.get(f"{NET}/extensions", token=t).json()["extensions"]
    aliases = {e["alias"] for e in listed}
    assert {"filter-validation", "subnet-external-network", "ip-substring-filtering"} <= aliases
    # Only what is implemented is advertised (Tempest skips the rest).
    assert not aliases & {"router", "agent", "dhcp_agent_scheduler", "allowed-address-pairs", "extra_dhcp_opt"}
    for extension in listed:
        r = api.get(f"{NET}/extensions/{extension['alias']}", token=t)
        assert r.status_code == 200 and r.json() == {"extension": extension}
    neutron_error(api.get(f"{NET}/extensions/router", token=t), 404)
    # filter-validation: an attribute a resource does not have is refused, not ignored.
    err = neutron_error(api.get(f"{NET}/floatingips?invalid_filter=x", token=tokens["admin"]), 400)
    assert "invalid_filter" in err["message"]


def test_agents_are_an_empty_list(api, tokens):
    for who in ("carol", "admin"):
        r = api.get(f"{NET}/agents", token=tokens[who])
        assert r.status_code == 200 and r.json() == {"agents": []}


def test_subnets_of_an_external_network_are_visible_and_say_so(api, tokens):
    admin, d = tokens["admin"], tokens["dave"]
    public = create(api, "networks", admin, name="ext", **{"router:external": True})
    subnet = create(api, "subnets", admin, network_id=public["id"], cidr="198.51.100.0/28", enable_dhcp=False)
    assert subnet["router:external"] is True
    seen = api.get(f"{NET}/subnets?network_id={public['id']}", token=d).json()["subnets"]
    assert [s["id"] for s in seen] == [subnet["id"]] and seen[0]["router:external"] is True
    own = create(api, "networks", d, name="own")
    mine = create(api, "subnets", d, network_id=own["id"], cidr="10.83.0.0/24")
    assert mine["router:external"] is False
    external = {s["id"] for s in api.get(f"{NET}/subnets?router:external=true", token=d).json()["subnets"]}
    assert subnet["id"] in external and mine["id"] not in external


@pytest.fixture(scope="module")
def ports_group(api, tokens):
    return create(api, "security-groups", tokens["carol"], name="port-ranges")


@pytest.mark.parametrize("protocol, pmin, pmax, words", [
    ("tcp", -16, 80, "Invalid value for port -16"),
    ("tcp", 80, 79, "port_range_min must be <= port_range_max"),
    ("tcp", 80, 65536, "Invalid value for port 65536"),
    ("tcp", None, 6, "port_range_min must be <= port_range_max"),
    ("tcp", 6, None, "port_range_min must be <= port_range_max"),
    ("udp", 0, 10, "Invalid value for port 0"),
    ("icmp", 1, 256, "Invalid value for ICMP code (port_range_max) 256"),
    ("icmp", -1, 25, "Invalid value for port -1"),
    ("icmp", None, 6, "ICMP type (port-range-min) is missing"),
    ("icmp", 300, 1, "Invalid value for ICMP type (port_range_min) 300"),
    ("47", 1, 2, "Ports cannot be specified for protocol 47"),
    (None, 22, 22, "Must also specify protocol if port range is given"),
])
def test_rule_port_ranges_as_neutron_checks_them(api, tokens, ports_group, protocol, pmin, pmax, words):
    t = tokens["carol"]
    r = api.post(f"{NET}/security-group-rules", json={"security_group_rule": {
        "security_group_id": ports_group["id"], "direction": "ingress", "protocol": protocol,
        "port_range_min": pmin, "port_range_max": pmax}}, token=t)
    assert words in neutron_error(r, 400)["message"]


def test_rule_icmp_type_and_code_are_kept(api, tokens):
    t = tokens["carol"]
    group = create(api, "security-groups", t, name="icmp-ok")
    rule = create(api, "security-group-rules", t, security_group_id=group["id"], direction="ingress",
                  protocol="icmp", port_range_min=8, port_range_max=0)
    assert (rule["port_range_min"], rule["port_range_max"]) == (8, 0)


def test_rule_remote_group_must_exist_in_the_project(api, tokens):
    c, d = tokens["carol"], tokens["dave"]
    group = create(api, "security-groups", c, name="remote-checks")
    others = create(api, "security-groups", d, name="daves")
    for remote in ("bad_group_id", "6a0e3ef2-4f3c-4d43-9a3c-0c7a3b7f1d11", others["id"]):
        r = api.post(f"{NET}/security-group-rules", json={"security_group_rule": {
            "security_group_id": group["id"], "direction": "ingress", "protocol": "tcp",
            "remote_group_id": remote}}, token=c)
        neutron_error(r, 404, "SecurityGroupNotFound")


def test_no_group_may_take_the_default_name(api, tokens):
    t = tokens["dave"]
    group = create(api, "security-groups", t, name="plain")
    for name in ("default", "Default"):
        r = api.request("PUT", f"{NET}/security-groups/{group['id']}", json={"security_group": {"name": name}},
                        token=t)
        neutron_error(r, 409, "InUse")
        neutron_error(api.post(f"{NET}/security-groups", json={"security_group": {"name": name}}, token=t), 409)
    [default] = [g for g in api.get(f"{NET}/security-groups?name=default", token=t).json()["security_groups"]]
    r = api.request("PUT", f"{NET}/security-groups/{default['id']}", json={"security_group": {"name": "x"}},
                    token=t)
    neutron_error(r, 409, "InUse")
    r = api.request("PUT", f"{NET}/security-groups/{default['id']}",
                    json={"security_group": {"description": "still default"}}, token=t)
    assert r.status_code == 200 and r.json()["security_group"]["name"] == "default"


def test_deleting_an_external_network_releases_its_unassociated_floating_ips(api, tokens):
    admin, d = tokens["admin"], tokens["dave"]
    public = create(api, "networks", admin, name="ext-gone", **{"router:external": True})
    create(api, "subnets", admin, network_id=public["id"], cidr="198.51.100.64/28", enable_dhcp=False)
    loose = create(api, "floatingips", d, floating_network_id=public["id"])
    own = create(api, "networks", d, name="fip-holder")
    create(api, "subnets", d, network_id=own["id"], cidr="10.84.0.0/24")
    port = create(api, "ports", d, network_id=own["id"])
    held = create(api, "floatingips", d, floating_network_id=public["id"], port_id=port["id"])
    # An associated floating IP keeps the network in use; nothing is released by the refused delete.
    neutron_error(api.delete(f"{NET}/networks/{public['id']}", token=admin), 409, "NetworkInUse")
    assert {loose["id"], held["id"]} <= _ids(api, "floatingips", d)
    assert api.delete(f"{NET}/floatingips/{held['id']}", token=d).status_code == 204
    assert api.delete(f"{NET}/networks/{public['id']}", token=admin).status_code == 204
    assert loose["id"] not in _ids(api, "floatingips", d)
    assert api.get(f"{NET}/ports?device_owner=network:floatingip", token=admin).json()["ports"] == []


def test_ports_filtered_by_an_address_substring(api, tokens):
    t = tokens["carol"]
    net = create(api, "networks", t, name="substr")
    # The pool keeps the DHCP port's address (drawn at random, as Neutron's) off the addresses asked for below.
    subnet = create(api, "subnets", t, network_id=net["id"], cidr="10.85.0.0/24",
                    allocation_pools=[{"start": "10.85.0.200", "end": "10.85.0.250"}])
    ports = {ip: create(api, "ports", t, network_id=net["id"],
                        fixed_ips=[{"subnet_id": subnet["id"], "ip_address": ip}])["id"]
             for ip in ("10.85.0.17", "10.85.0.170", "10.85.0.29")}

    def listed(value):
        # On this network (the module's other tests give carol ports elsewhere, at random addresses), less its
        # DHCP port, whose address is in the pool.
        query = f"{NET}/ports?network_id={net['id']}&fixed_ips=ip_address_substr={value}"
        return {p["id"] for p in api.get(query, token=t).json()["ports"] if p["device_owner"] != "network:dhcp"}

    assert listed("0.17") == {ports["10.85.0.17"], ports["10.85.0.170"]}
    assert listed(".29") == {ports["10.85.0.29"]}
    assert listed("10.85.0.") == set(ports.values())
    assert listed("10.99.") == set()
