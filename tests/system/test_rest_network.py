"""A real TCG guest on a network, all through the REST API (the network service, Nova's integration and the
libvirt host's data plane together): the guest gets by DHCP the address the API shows (from dnsmasq on the
DHCP port's address), answers ping from a namespace on its bridge only as its security group allows while
rules and members change through the API (the push to the host), answers at its floating IP from an external
network's side (NAT), reads its config drive and the metadata service at 169.254.169.254, and after delete
nothing of it is left on the host. One guest for all the checks.
"""
from __future__ import annotations

import base64
import uuid as uuidlib

import pytest

from hypervisors.base import VifSpec
from hypervisors.netplane import DataPlane
from hypervisors.netplane import bridge as br
from hypervisors.netplane import firewall, nat

from .helpers import GUEST_TIMEOUT
from .test_netplane_qemu import clients, pings, sh  # noqa: F401 (clients is a fixture)

pytestmark = pytest.mark.system
NET = "/network/v2.0"
CIDR, OUTSIDER, MEMBER = "198.18.97.0/24", "198.18.97.60", "198.18.97.50"
EXT_CIDR, EXTERNAL = "198.18.96.0/24", "198.18.96.70"  # the external network, and a client on its side
POOL = [{"start": "198.18.97.100", "end": "198.18.97.200"}]
EXT_POOL = [{"start": "198.18.96.100", "end": "198.18.96.200"}]


def created(r, key: str) -> dict:
    assert r.status_code == 201, r.text
    return r.json()[key]


def test_guest_on_a_network_through_rest(libvirt_stack, clients):  # noqa: F811
    ls, api = libvirt_stack, libvirt_stack.stack
    net = created(api.post(f"{NET}/networks", json={"network": {"name": "sysnet"}}), "network")
    ext = created(api.post(f"{NET}/networks", json={"network": {"name": "syspublic", "router:external": True}}),
                  "network")
    member_port = fip = None
    try:
        # The pools keep the addresses drawn at random (ports, floating IPs) off the test's own clients.
        created(api.post(f"{NET}/subnets", json={"subnet": {"network_id": net["id"], "cidr": CIDR,
                                                             "ip_version": 4, "allocation_pools": POOL}}), "subnet")
        [dhcp_port] = api.get(f"{NET}/ports?network_id={net['id']}&device_owner=network:dhcp").json()["ports"]
        marker = f"user-data-{uuidlib.uuid4().hex[:8]}"
        s = ls.boot("net-guest", networks=[{"uuid": net["id"]}], config_drive=True,
                    user_data=base64.b64encode(f"{marker}\nmore\n".encode()).decode())
        sid = s["id"]
        [addr] = s["addresses"]["sysnet"]
        ip = addr["addr"]
        [port] = api.get(f"{NET}/ports?device_id={sid}").json()["ports"]
        vif = VifSpec(port_id=port["id"], mac=port["mac_address"], network_id=net["id"])

        # DHCP gives the guest the address the API shows; dnsmasq answers from the DHCP port's address
        printed = ls.wait_console(sid, f"marker-ip: eth0 {ip}", timeout=GUEST_TIMEOUT)
        dhcp_ip = dhcp_port["fixed_ips"][0]["ip_address"]
        ns_addrs = sh("ip", "-n", f"qdhcp-{net['id']}", "-o", "-4", "addr", "show").stdout
        assert f"{dhcp_ip}/24" in ns_addrs and ip != dhcp_ip
        # the metadata service, read inside the guest: 169.254.169.254 routed by DHCP to the network's proxy in
        # its DHCP namespace, relayed to the API, which finds the guest by its address
        ls.wait_console(sid, f'marker-metadata: "uuid": "{sid}"', timeout=60)
        assert sh("ip", "-n", f"qdhcp-{net['id']}", "-o", "-4", "addr", "show").stdout.count("169.254.169.254/32") == 1
        # the config drive, read inside the guest (searched in the whole log: a shell prompt may precede a marker)
        printed = ls.wait_console(sid, f"marker-config-user-data: {marker}", timeout=60)
        assert "marker-config-drive: label=config-2" in printed and f'"uuid": "{sid}"' in printed, printed[-3000:]

        # the default group: ingress only from its members, so a stranger on the bridge gets no answer...
        outsider, member = clients(vif.bridge, OUTSIDER, "out"), clients(vif.bridge, MEMBER, "mem")
        assert not pings(outsider, ip, count=2)
        # ...until an ingress rule for it is added through the API, and again none once it is deleted
        [default] = api.get(f"{NET}/security-groups?name=default&project_id={port['project_id']}").json()[
            "security_groups"]
        rule = created(api.post(f"{NET}/security-group-rules", json={"security_group_rule": {
            "security_group_id": default["id"], "direction": "ingress", "protocol": "icmp",
            "remote_ip_prefix": f"{OUTSIDER}/32"}}), "security_group_rule")
        api.wait_until(lambda: pings(outsider, ip), timeout=30, what="the guest to answer after the rule add")
        assert api.delete(f"{NET}/security-group-rules/{rule['id']}").status_code == 204
        api.wait_until(lambda: not pings(outsider, ip), timeout=30, what="no answer after the rule delete")
        # a new member of the default group (a port with the member's address) is let in: the members' push
        assert not pings(member, ip)
        member_port = created(api.post(f"{NET}/ports", json={"port": {"network_id": net["id"], "fixed_ips": [
            {"ip_address": MEMBER}]}}), "port")
        api.wait_until(lambda: pings(member, ip), timeout=30, what="the guest to answer its group's new member")
        # the group is one nftables set of its members' addresses on the host, which the rule matches
        assert {ip, MEMBER} <= set(firewall.group_sets(None)[f"g4-{default['id']}"])
        assert f"ip saddr @g4-{default['id']} accept" in sh("nft", "list", "ruleset").stdout

        # a floating IP: the host NATs it from the external network's bridge to the guest
        created(api.post(f"{NET}/subnets", json={"subnet": {"network_id": ext["id"], "cidr": EXT_CIDR,
                                                             "enable_dhcp": False, "allocation_pools": EXT_POOL}}),
                "subnet")
        created(api.post(f"{NET}/security-group-rules", json={"security_group_rule": {
            "security_group_id": default["id"], "direction": "ingress", "protocol": "icmp",
            "remote_ip_prefix": f"{EXTERNAL}/32"}}), "security_group_rule")
        fip = created(api.post(f"{NET}/floatingips", json={"floatingip": {
            "floating_network_id": ext["id"], "port_id": port["id"]}}), "floatingip")
        ext_bridge = br.bridge_name(ext["id"])
        api.wait_until(lambda: ext_bridge in br.bridges(None), timeout=30, what="the external bridge")
        external = clients(ext_bridge, EXTERNAL, "ext")
        api.wait_until(lambda: pings(external, fip["floating_ip_address"]), timeout=30,
                       what="the guest to answer at its floating IP")

        assert api.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
        api.wait_gone(sid, timeout=60)
        # nothing of the guest is left on the host: domain, files, tap, bridge, DHCP namespace and dnsmasq,
        # firewall chains, port records
        plane = DataPlane(ls.instances_dir / "_network")
        assert ls.domain(sid) is None and not ls.instance_dir(sid).exists()
        assert sh("ip", "link", "show", vif.tap, check=False).returncode != 0
        assert vif.bridge not in br.bridges(None)
        assert net["id"] not in plane.dhcp.namespaces() and net["id"] not in plane.dhcp.running()
        assert net["id"] not in plane.metadata.running() and not (plane.state_dir / "metadata" / net["id"]).exists()
        assert not (plane.state_dir / "dhcp" / net["id"]).exists()
        assert not [c for c in firewall.port_chains(None) if port["id"] in c]
        assert [r.vif.port_id for r in plane.ports.all() if r.vif.network_id == net["id"]] == []
        # nor of its floating IP: NAT rules and the external bridge
        # (the floating IP's NAT goes with the push the port's removal sends, after the delete: eventually)
        api.wait_until(lambda: not [r for r in nat.rules(None) if fip["floating_ip_address"] in r], timeout=30,
                       what="the floating IP's NAT rules gone")
        api.wait_until(lambda: ext_bridge not in br.bridges(None), timeout=30, what="the external bridge gone")
    finally:
        if member_port is not None:
            api.delete(f"{NET}/ports/{member_port['id']}")
        if fip is not None:
            api.delete(f"{NET}/floatingips/{fip['id']}")
        for s in api.get(f"/compute/v2.1/servers?name=net-guest").json()["servers"]:
            api.delete(f"/compute/v2.1/servers/{s['id']}")
            api.wait_gone(s["id"], timeout=60)
        for network in (net, ext):
            api.delete(f"{NET}/networks/{network['id']}")
