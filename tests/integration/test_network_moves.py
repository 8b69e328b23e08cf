"""A server's floating IP follows it when a move changes its host (wt-netperf): the hosts NAT it where the
server runs now, pushed when the move finishes (cold migration, and a live migration back; a shelve offload
and an unshelve onto the other host, wt-portperf, with the group's set there), not at the next unrelated
push or worker restart. Two fake hosts' real worker processes; the NAT as each fake host records it."""
import contextlib

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


def networks(api, name: str, cidr: str, external_cidr: str) -> tuple[dict, dict]:
    """A network for servers and an external one for floating IPs, each with a subnet."""
    net = created(api.post(f"{NET}/networks", json={"network": {"name": f"{name}net"}}), "network")
    created(api.post(f"{NET}/subnets", json={"subnet": {"network_id": net["id"], "cidr": cidr}}), "subnet")
    ext = created(api.post(f"{NET}/networks", json={"network": {"name": f"{name}pub", "router:external": True}}),
                  "network")
    created(api.post(f"{NET}/subnets", json={"subnet": {"network_id": ext["id"], "cidr": external_cidr,
                                                         "enable_dhcp": False}}), "subnet")
    return net, ext


@contextlib.contextmanager
def host_disabled(api, host: str):
    """The scheduler places nothing on `host` meanwhile."""
    services = "/compute/v2.1/os-services"
    api.request("PUT", f"{services}/disable", json={"host": host, "binary": "nova-compute"})
    try:
        yield
    finally:
        api.request("PUT", f"{services}/enable", json={"host": host, "binary": "nova-compute"})


def boot_on_node1(api, name: str, net: dict) -> tuple[str, dict]:
    """An ACTIVE server on node1 with a port on `net`: its id and its port."""
    with host_disabled(api, "node2"):
        r = api.boot(name=name, networks=[{"uuid": net["id"]}])
        assert r.status_code == 202, r.text
        sid = r.json()["server"]["id"]
        assert api.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "node1"
    [port] = api.get(f"{NET}/ports?device_id={sid}").json()["ports"]
    return sid, port


def test_a_moved_servers_floating_ip_is_nated_where_it_runs_now(api):
    net, ext = networks(api, "move", "10.61.0.0/24", "203.0.113.0/24")
    sid, port = boot_on_node1(api, "mover", net)
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
    net, ext = networks(api, "shelf", "10.62.0.0/24", "203.0.114.0/24")
    sid, port = boot_on_node1(api, "shelver", net)
    [group] = port["security_groups"]
    fixed = port["fixed_ips"][0]["ip_address"]
    fip = created(api.post(f"{NET}/floatingips", json={"floatingip": {"floating_network_id": ext["id"],
                                                                      "port_id": port["id"]}}), "floatingip")
    nat = [(fip["floating_ip_address"], fixed)]
    api.wait_until(lambda: natted(api, "node1") == nat, what="the floating IP NATed on node1")
    # The build reads the group's members only if node1 held no set of it yet; else its own address comes with
    # the members push every holder gets, a moment after ACTIVE.
    api.wait_until(lambda: fixed in (fake(api, "node1").group_members(group) or ()),
                   what="the group's set on node1 holding the server's address")

    assert api.action(sid, {"shelve": None}).status_code == 202
    assert api.wait_status(sid, "SHELVED_OFFLOADED")["OS-EXT-SRV-ATTR:host"] is None
    api.wait_until(lambda: natted(api, "node1") == [], what="no NAT left on node1 after the offload")

    with host_disabled(api, "node1"):
        assert api.action(sid, {"unshelve": None}).status_code == 202
        assert api.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "node2"
    api.wait_until(lambda: natted(api, "node2") == nat, what="the floating IP NATed on node2")
    api.wait_until(lambda: fixed in (fake(api, "node2").group_members(group) or ()),
                   what="the group's set on node2 holding the server's address")
    assert api.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
    api.wait_gone(sid)
