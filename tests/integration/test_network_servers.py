"""Servers on networks, end to end on a live stack with a real fake-host worker: ports made before
scheduling and plugged by the host, `addresses` and /ips, os-interface hot-plug, security groups on servers,
os-networks, and no port left behind on any failure path (port quota mid-create, no valid host, a build that
fails on the host) nor after delete."""
import pytest

from hypervisors.fake import FakeDriver

STACK = {"hosts": ["node1"], "users": {"carol": "proj-c", "dave": "proj-d"}}
NET = "/network/v2.0"


@pytest.fixture(scope="module")
def tokens(api):
    return {"admin": api.token(), "carol": api.token("carol", "carol-pw", "proj-c"),
            "dave": api.token("dave", "dave-pw", "proj-d")}


@pytest.fixture(scope="module")
def net(api, tokens):
    """carol's network with a /24 subnet."""
    t = tokens["carol"]
    network = api.post(f"{NET}/networks", json={"network": {"name": "carolnet"}}, token=t).json()["network"]
    r = api.post(f"{NET}/subnets", json={"subnet": {"network_id": network["id"], "cidr": "10.7.0.0/24",
                                                    "ip_version": 4}}, token=t)
    assert r.status_code == 201, r.text
    return {**network, "subnet": r.json()["subnet"]}


def fake_vifs(api, server_id: str) -> list[str]:
    return FakeDriver(host="node1", state_dir=api.env["COMPUTE_STATE_DIR"] + "/fake").list_vifs(server_id)


def ports_of(api, server_id: str) -> list[dict]:
    return api.get(f"{NET}/ports?device_id={server_id}").json()["ports"]  # as admin: binding details too


def boot(api, token, **server):
    r = api.boot(token=token, **server)
    assert r.status_code == 202, r.text
    return r.json()["server"]["id"]


def test_boot_on_a_network_gets_an_address_plugged_by_the_host(api, tokens, net):
    t = tokens["carol"]
    sid = boot(api, t, name="on-net", networks=[{"uuid": net["id"]}])
    server = api.wait_status(sid, "ACTIVE")
    [port] = ports_of(api, sid)
    assert port["status"] == "ACTIVE" and port["binding:host_id"] == "node1" and port["device_owner"] == "compute:nova"
    ip = port["fixed_ips"][0]["ip_address"]
    assert server["addresses"] == {"carolnet": [{"version": 4, "addr": ip, "OS-EXT-IPS:type": "fixed",
                                                 "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]}]}
    assert server["security_groups"] == [{"name": "default"}]
    assert api.get(f"/compute/v2.1/servers/{sid}/ips", token=t).json() == {
        "addresses": {"carolnet": [{"version": 4, "addr": ip}]}}
    assert api.get(f"/compute/v2.1/servers/{sid}/ips/carolnet", token=t).json() == {
        "carolnet": [{"version": 4, "addr": ip}]}
    assert api.get(f"/compute/v2.1/servers/{sid}/ips/othernet", token=t).status_code == 404
    assert fake_vifs(api, sid) == [port["id"]]
    listed = api.get("/compute/v2.1/servers/detail", token=t).json()["servers"]
    assert [s["addresses"] for s in listed if s["id"] == sid] == [server["addresses"]]
    assert api.delete(f"/compute/v2.1/servers/{sid}", token=t).status_code == 204
    api.wait_gone(sid)
    assert ports_of(api, sid) == []


def test_boot_with_a_port_and_a_fixed_ip(api, tokens, net):
    t = tokens["carol"]
    port = api.post(f"{NET}/ports", json={"port": {"network_id": net["id"], "name": "mine"}}, token=t).json()["port"]
    address = api.unused_address(net["id"], "10.7.0.0/24")
    sid = boot(api, t, name="on-port", networks=[{"port": port["id"]}, {"uuid": net["id"], "fixed_ip": address}])
    server = api.wait_status(sid, "ACTIVE")
    addrs = [a["addr"] for a in server["addresses"]["carolnet"]]
    assert addrs == [port["fixed_ips"][0]["ip_address"], address]
    assert fake_vifs(api, sid)[0] == port["id"]
    # the port is in use: a second server cannot take it
    r = api.boot(token=t, name="thief", networks=[{"port": port["id"]}])
    assert r.status_code == 409, r.text
    api.delete(f"/compute/v2.1/servers/{sid}", token=t)
    api.wait_gone(sid)
    kept = api.get(f"{NET}/ports/{port['id']}", token=t).json()["port"]  # passed in: unbound, kept
    assert kept["device_id"] == "" and kept["status"] == "DOWN"
    assert [p["fixed_ips"][0]["ip_address"] for p in ports_of(api, sid)] == []
    assert api.get(f"{NET}/ports?network_id={net['id']}&fixed_ips=ip_address={address}", token=t).json()["ports"] == []


def test_one_available_network_is_picked_and_several_are_ambiguous(api, tokens):
    t = tokens["dave"]
    sid = boot(api, t, name="no-net")  # no network at all: a server without NICs, as before
    assert api.wait_status(sid, "ACTIVE")["addresses"] == {}
    body = {"server": {"name": "auto", "imageRef": api.image_id(), "flavorRef": "1", "networks": "auto"}}
    r = api.post("/compute/v2.1/servers", json=body, token=t, headers={"OpenStack-API-Version": "compute 2.37"})
    assert r.status_code == 400, r.text  # Nova, when it cannot auto-allocate a network
    assert "Unable to automatically allocate a network for project" in r.json()["badRequest"]["message"]
    only = api.post(f"{NET}/networks", json={"network": {"name": "davenet"}}, token=t).json()["network"]
    api.post(f"{NET}/subnets", json={"subnet": {"network_id": only["id"], "cidr": "10.8.0.0/24"}}, token=t)
    sid = boot(api, t, name="picked")
    assert list(api.wait_status(sid, "ACTIVE")["addresses"]) == ["davenet"]
    api.post(f"{NET}/networks", json={"network": {"name": "second"}}, token=t)
    assert api.boot(token=t, name="ambiguous").status_code == 409


def test_nothing_leaks_when_the_port_quota_stops_a_multi_create(api, tokens, net):
    t, admin = tokens["carol"], tokens["admin"]
    me = api.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": t}).json()["token"]["project"]["id"]
    used = api.get(f"{NET}/quotas/{me}/details", token=t).json()["quota"]["port"]["used"]
    api.request("PUT", f"{NET}/quotas/{me}", json={"quota": {"port": used + 1}}, token=admin)
    try:
        before = api.get("/compute/v2.1/servers", token=t).json()["servers"]
        r = api.boot(token=t, name="two", networks=[{"uuid": net["id"]}], min_count=2)
        assert r.status_code == 403 and "ports" in r.json()["forbidden"]["message"], r.text
        assert api.get("/compute/v2.1/servers", token=t).json()["servers"] == before
        assert api.get(f"{NET}/quotas/{me}/details", token=t).json()["quota"]["port"]["used"] == used
    finally:
        api.delete(f"{NET}/quotas/{me}", token=admin)


def test_nothing_leaks_when_no_host_is_valid(api, tokens, net):
    t = tokens["carol"]
    r = api.post("/compute/v2.1/flavors", json={"flavor": {"name": "huge", "ram": 512, "vcpus": 4096, "disk": 1,
                                                          "id": "huge"}})
    assert r.status_code == 200, r.text
    sid = boot(api, t, name="nowhere", flavorRef="huge", networks=[{"uuid": net["id"]}])
    server = api.wait_status(sid, "ERROR")
    assert "No valid host" in server["fault"]["message"] and server["addresses"] == {}
    assert ports_of(api, sid) == []


def test_nothing_leaks_when_the_build_fails_on_the_host(api, tokens, net):
    t = tokens["carol"]
    sid = boot(api, t, name="doomed", metadata={"fake:fail": "spawn"}, networks=[{"uuid": net["id"]}])
    api.wait_status(sid, "ERROR")
    assert ports_of(api, sid) == []


def test_interface_attach_and_detach_hot_plug_on_the_host(api, tokens, net):
    t = tokens["carol"]
    sid = boot(api, t, name="hotplug", networks=[{"uuid": net["id"]}])
    api.wait_status(sid, "ACTIVE")
    r = api.post(f"/compute/v2.1/servers/{sid}/os-interface", json={"interfaceAttachment": {"net_id": net["id"]}},
                 token=t)
    assert r.status_code == 200, r.text
    attached = r.json()["interfaceAttachment"]
    assert attached["net_id"] == net["id"] and attached["port_state"] == "ACTIVE" and attached["fixed_ips"]
    listed = api.get(f"/compute/v2.1/servers/{sid}/os-interface", token=t).json()["interfaceAttachments"]
    assert len(listed) == 2 and fake_vifs(api, sid) == [i["port_id"] for i in listed]
    shown = api.get(f"/compute/v2.1/servers/{sid}/os-interface/{attached['port_id']}", token=t)
    assert shown.json()["interfaceAttachment"]["mac_addr"] == attached["mac_addr"]
    r = api.delete(f"/compute/v2.1/servers/{sid}/os-interface/{attached['port_id']}", token=t)
    assert r.status_code == 202, r.text
    assert attached["port_id"] not in fake_vifs(api, sid)
    assert api.get(f"{NET}/ports/{attached['port_id']}", token=t).status_code == 404  # made for it: gone
    assert api.delete(f"/compute/v2.1/servers/{sid}/os-interface/{attached['port_id']}",
                      token=t).status_code == 404
    api.delete(f"/compute/v2.1/servers/{sid}", token=t)


def test_security_groups_on_servers(api, tokens, net):
    t = tokens["carol"]
    web = api.post(f"{NET}/security-groups", json={"security_group": {"name": "web"}}, token=t).json()[
        "security_group"]
    sid = boot(api, t, name="grouped", networks=[{"uuid": net["id"]}], security_groups=[{"name": "web"}])
    server = api.wait_status(sid, "ACTIVE")
    assert server["security_groups"] == [{"name": "web"}]
    [port] = ports_of(api, sid)
    assert port["security_groups"] == [web["id"]]
    assert api.action(sid, {"addSecurityGroup": {"name": "default"}}, token=t).status_code == 202
    groups = api.get(f"/compute/v2.1/servers/{sid}/os-security-groups", token=t).json()["security_groups"]
    assert sorted(g["name"] for g in groups) == ["default", "web"]
    assert api.action(sid, {"removeSecurityGroup": {"name": "web"}}, token=t).status_code == 202
    assert api.server(sid, token=t)["security_groups"] == [{"name": "default"}]
    assert api.action(sid, {"removeSecurityGroup": {"name": "web"}}, token=t).status_code == 400
    assert api.action(sid, {"addSecurityGroup": {"name": "nope"}}, token=t).status_code == 404
    r = api.boot(token=t, name="bad-group", networks=[{"uuid": net["id"]}], security_groups=[{"name": "nope"}])
    assert r.status_code == 400
    api.delete(f"/compute/v2.1/servers/{sid}", token=t)


def fake_host(api) -> FakeDriver:
    return FakeDriver(host="node1", state_dir=api.env["COMPUTE_STATE_DIR"] + "/fake")


def fake_rules(api, server_id: str, port_id: str):
    rules = fake_host(api).vif_rules(server_id, port_id)
    return None if rules is None else {(r.direction, r.protocol, r.port_range_min, r.remote_ip_prefix or r.remote_group_id)
                                       for r in rules}


def test_security_group_changes_reach_the_host(api, tokens, net):
    """A rule added or deleted, a member joining or leaving a remote group, a server's groups changed: each is
    pushed to the host, which then enforces the group as the database has it (polled: the push is a task). A
    remote group is a set of its members' addresses on the host: a member coming or going changes the set,
    never a port's rules."""
    t = tokens["carol"]
    sg = api.post(f"{NET}/security-groups", json={"security_group": {"name": "pushed"}}, token=t).json()[
        "security_group"]
    a = boot(api, t, name="push-a", networks=[{"uuid": net["id"]}], security_groups=[{"name": "pushed"}])
    api.wait_status(a, "ACTIVE")
    [pa] = ports_of(api, a)
    ssh = ("ingress", "tcp", 22, "10.9.0.0/24")
    r = api.post(f"{NET}/security-group-rules", json={"security_group_rule": {
        "security_group_id": sg["id"], "direction": "ingress", "protocol": "tcp", "port_range_min": 22,
        "port_range_max": 22, "remote_ip_prefix": "10.9.0.0/24"}}, token=t)
    assert r.status_code == 201, r.text
    api.wait_until(lambda: ssh in fake_rules(api, a, pa["id"]), what="the new rule on the host")
    # "from members of pushed": one rule naming the group, matched against the host's set of its members
    api.post(f"{NET}/security-group-rules", json={"security_group_rule": {
        "security_group_id": sg["id"], "direction": "ingress", "remote_group_id": sg["id"]}}, token=t)
    from_members = ("ingress", None, None, sg["id"])
    api.wait_until(lambda: from_members in fake_rules(api, a, pa["id"]), what="the remote group rule on the host")
    ip_a = pa["fixed_ips"][0]["ip_address"]
    api.wait_until(lambda: fake_host(api).group_members(sg["id"]) == (ip_a,), what="A alone in the group's set")
    a_rules = fake_rules(api, a, pa["id"])
    b = boot(api, t, name="push-b", networks=[{"uuid": net["id"]}], security_groups=[{"name": "pushed"}])
    api.wait_status(b, "ACTIVE")
    [pb] = ports_of(api, b)
    ip_b = pb["fixed_ips"][0]["ip_address"]
    # B is on the host that holds the group's set already: B's build read no member, its address comes with the
    # members push to the group's holders; A's rules are as they were
    api.wait_until(lambda: set(fake_host(api).group_members(sg["id"])) == {ip_a, ip_b}, what="B in the group's set")
    assert fake_rules(api, a, pa["id"]) == a_rules and from_members in fake_rules(api, b, pb["id"])
    assert api.delete(f"{NET}/security-group-rules/{r.json()['security_group_rule']['id']}", token=t).status_code == 204
    api.wait_until(lambda: ssh not in fake_rules(api, a, pa["id"]), what="the deleted rule gone from the host")
    # B leaves the group: the set loses B's address; B's own port now has the default group's rules
    assert api.action(b, {"addSecurityGroup": {"name": "default"}}, token=t).status_code == 202
    assert api.action(b, {"removeSecurityGroup": {"name": "pushed"}}, token=t).status_code == 202
    api.wait_until(lambda: fake_host(api).group_members(sg["id"]) == (ip_a,), what="B's address gone from the set")
    api.wait_until(lambda: from_members not in fake_rules(api, b, pb["id"]), what="B's rules without the pushed group's")
    # a port's groups changed through the network API reach the host as well; no rule names the group any
    # more, so the host keeps no set of it
    r = api.request("PUT", f"{NET}/ports/{pa['id']}", json={"port": {"security_groups": []}}, token=t)
    assert r.status_code == 200, r.text
    api.wait_until(lambda: fake_rules(api, a, pa["id"]) == set(), what="A's port without groups")
    api.wait_until(lambda: fake_host(api).group_members(sg["id"]) is None, what="the unused set gone")
    for sid in (a, b):
        api.delete(f"/compute/v2.1/servers/{sid}", token=t)


def test_floating_ip_changes_reach_the_host(api, tokens, net):
    """Associated, moved away and back, the server deleted: the host NATs exactly its servers' floating IPs."""
    t, admin = tokens["carol"], tokens["admin"]
    ext = api.post(f"{NET}/networks", json={"network": {"name": "public", "router:external": True}},
                   token=admin).json()["network"]
    api.post(f"{NET}/subnets", json={"subnet": {"network_id": ext["id"], "cidr": "203.0.113.0/24",
                                                "enable_dhcp": False}}, token=admin)
    sid = boot(api, t, name="nat", networks=[{"uuid": net["id"]}])
    api.wait_status(sid, "ACTIVE")
    [port] = ports_of(api, sid)
    r = api.post(f"{NET}/floatingips", json={"floatingip": {"floating_network_id": ext["id"],
                                                            "port_id": port["id"]}}, token=t)
    assert r.status_code == 201, r.text
    fip = r.json()["floatingip"]
    host = FakeDriver(host="node1", state_dir=api.env["COMPUTE_STATE_DIR"] + "/fake")
    nat = (fip["floating_ip_address"], port["fixed_ips"][0]["ip_address"], port["id"], ext["id"], "203.0.113.0/24")

    def natted():
        return [(f.floating_ip, f.fixed_ip, f.port_id, f.network_id, f.cidr) for f in host.floating_ips()]

    api.wait_until(lambda: natted() == [nat], what="the floating IP NATed on the host")
    url = f"{NET}/floatingips/{fip['id']}"
    assert api.request("PUT", url, json={"floatingip": {"port_id": None}}, token=t).status_code == 200
    api.wait_until(lambda: natted() == [], what="the disassociated floating IP gone from the host")
    assert api.request("PUT", url, json={"floatingip": {"port_id": port["id"]}}, token=t).status_code == 200
    api.wait_until(lambda: natted() == [nat], what="the floating IP NATed again")
    api.delete(f"/compute/v2.1/servers/{sid}", token=t)
    api.wait_gone(sid)
    api.wait_until(lambda: natted() == [], what="the deleted server's floating IP gone from the host")
    assert api.get(url, token=t).json()["floatingip"]["port_id"] is None
    assert api.delete(url, token=t).status_code == 204


def test_os_networks_proxy(api, tokens, net):
    t = tokens["carol"]
    networks = api.get("/compute/v2.1/os-networks", token=t).json()["networks"]
    assert {"id": net["id"], "label": "carolnet"}.items() <= [n for n in networks if n["id"] == net["id"]][0].items()
    assert api.get(f"/compute/v2.1/os-networks/{net['id']}", token=t).json()["network"]["label"] == "carolnet"
    assert api.get("/compute/v2.1/os-networks/nope", token=t).status_code == 404


def test_config_drive_is_recorded(api, tokens):
    t = tokens["dave"]
    sid = boot(api, t, name="cd", config_drive=True, networks=[{"uuid": api.get(
        f"{NET}/networks?name=davenet", token=t).json()["networks"][0]["id"]}])
    assert api.wait_status(sid, "ACTIVE")["config_drive"] == "True"
