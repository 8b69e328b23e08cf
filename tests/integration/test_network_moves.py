"""A server's floating IP follows it when a move changes its host (wt-netperf): the hosts NAT it where the
server runs now, pushed when the move finishes (cold migration, and a live migration back), not at the next
unrelated push or worker restart. Two fake hosts' real worker processes; the NAT as each fake host records it."""
import pytest

from hypervisors.fake import FakeDriver

pytestmark = pytest.mark.integration

STACK = {"hosts": ["node1", "node2"]}
NET = "/network/v2.0"


def natted(api, host: str) -> list[tuple]:
    fake = FakeDriver(host=host, state_dir=api.env["COMPUTE_STATE_DIR"] + "/fake")
    return [(f.floating_ip, f.fixed_ip) for f in fake.floating_ips()]


def created(r, key: str) -> dict:
    assert r.status_code == 201, r.text
    return r.json()[key]


def test_a_moved_servers_floating_ip_is_nated_where_it_runs_now(api):
    net = created(api.post(f"{NET}/networks", json={"network": {"name": "movenet"}}), "network")
    created(api.post(f"{NET}/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.61.0.0/24"}}), "subnet")
    ext = created(api.post(f"{NET}/networks", json={"network": {"name": "movepub", "router:external": True}}),
                  "network")
    created(api.post(f"{NET}/subnets", json={"subnet": {"network_id": ext["id"], "cidr": "203.0.113.0/24",
                                                         "enable_dhcp": False}}), "subnet")
    api.request("PUT", "/compute/v2.1/os-services/disable", json={"host": "node2", "binary": "nova-compute"})
    try:
        r = api.boot(name="mover", networks=[{"uuid": net["id"]}])
        assert r.status_code == 202, r.text
        sid = r.json()["server"]["id"]
        assert api.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "node1"
    finally:
        api.request("PUT", "/compute/v2.1/os-services/enable", json={"host": "node2", "binary": "nova-compute"})
    [port] = api.get(f"{NET}/ports?device_id={sid}").json()["ports"]
    fip = created(api.post(f"{NET}/floatingips", json={"floatingip": {"floating_network_id": ext["id"],
                                                                      "port_id": port["id"]}}), "floatingip")
    nat = [(fip["floating_ip_address"], port["fixed_ips"][0]["ip_address"])]
    api.wait_until(lambda: natted(api, "node1") == nat, what="the floating IP NATed on node1")

    assert api.action(sid, {"migrate": None}).status_code == 202  # cold: the server is on node2 from VERIFY_RESIZE
    assert api.wait_status(sid, "VERIFY_RESIZE")["OS-EXT-SRV-ATTR:host"] == "node2"
    api.wait_until(lambda: natted(api, "node2") == nat and natted(api, "node1") == [],
                   what="the floating IP NATed on node2 only")
    assert api.action(sid, {"confirmResize": None}).status_code == 204
    api.wait_status(sid, "ACTIVE")

    r = api.action(sid, {"os-migrateLive": {"host": "node1", "block_migration": "auto"}})
    assert r.status_code == 202, r.text
    assert api.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "node1"
    api.wait_until(lambda: natted(api, "node1") == nat and natted(api, "node2") == [],
                   what="the floating IP NATed on node1 only, after the live migration back")
    assert api.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
    api.wait_gone(sid)
    api.wait_until(lambda: natted(api, "node1") == [], what="no NAT left after the delete")


def fake(api, host: str) -> FakeDriver:
    return FakeDriver(host=host, state_dir=api.env["COMPUTE_STATE_DIR"] + "/fake")


def test_an_unshelved_server_gets_its_nat_and_group_sets_on_its_new_host(api):
    """Shelve offload takes the server off its host (its NAT there goes); unshelve places it again, here on
    the other host, which NATs its floating IP and loads the set of its group (the default group's rule
    "from members of this group" names it), without waiting for an unrelated push."""
    net = created(api.post(f"{NET}/networks", json={"network": {"name": "shelfnet"}}), "network")
    created(api.post(f"{NET}/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.62.0.0/24"}}), "subnet")
    ext = created(api.post(f"{NET}/networks", json={"network": {"name": "shelfpub", "router:external": True}}),
                  "network")
    created(api.post(f"{NET}/subnets", json={"subnet": {"network_id": ext["id"], "cidr": "203.0.114.0/24",
                                                         "enable_dhcp": False}}), "subnet")
    services = "/compute/v2.1/os-services"
    api.request("PUT", f"{services}/disable", json={"host": "node2", "binary": "nova-compute"})
    try:
        r = api.boot(name="shelver", networks=[{"uuid": net["id"]}])
        assert r.status_code == 202, r.text
        sid = r.json()["server"]["id"]
        assert api.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "node1"
    finally:
        api.request("PUT", f"{services}/enable", json={"host": "node2", "binary": "nova-compute"})
    [port] = api.get(f"{NET}/ports?device_id={sid}").json()["ports"]
    [group] = port["security_groups"]
    fixed = port["fixed_ips"][0]["ip_address"]
    fip = created(api.post(f"{NET}/floatingips", json={"floatingip": {"floating_network_id": ext["id"],
                                                                      "port_id": port["id"]}}), "floatingip")
    nat = [(fip["floating_ip_address"], fixed)]
    api.wait_until(lambda: natted(api, "node1") == nat, what="the floating IP NATed on node1")
    assert fixed in fake(api, "node1").group_members(group)

    assert api.action(sid, {"shelve": None}).status_code == 202
    assert api.wait_status(sid, "SHELVED_OFFLOADED")["OS-EXT-SRV-ATTR:host"] is None
    api.wait_until(lambda: natted(api, "node1") == [], what="no NAT left on node1 after the offload")

    api.request("PUT", f"{services}/disable", json={"host": "node1", "binary": "nova-compute"})
    try:
        assert api.action(sid, {"unshelve": None}).status_code == 202
        assert api.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "node2"
    finally:
        api.request("PUT", f"{services}/enable", json={"host": "node1", "binary": "nova-compute"})
    api.wait_until(lambda: natted(api, "node2") == nat, what="the floating IP NATed on node2")
    api.wait_until(lambda: fixed in (fake(api, "node2").group_members(group) or ()),
                   what="the group's set on node2 holding the server's address")
    assert api.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
    api.wait_gone(sid)
