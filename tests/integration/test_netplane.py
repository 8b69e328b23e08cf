"""The network data plane for real (hypervisors/netplane), as root, inside private network namespaces: a
namespace plays the host (bridges, nftables tables), DHCP namespaces hang off it, and other namespaces
play guests (a veth named like the port's tap, with the port's MAC) and clients. Nothing touches the
machine's own network; every namespace is deleted afterwards."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid as uuidlib

import pytest

from hypervisors.base import FloatingIPSpec, InstanceSpec, SecurityGroupRule, VifSpec
from hypervisors.netplane import DataPlane
from hypervisors.netplane import bridge as br
from hypervisors.netplane import firewall, nat

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("dnsmasq") or not shutil.which("nft"),
                       reason="needs root, dnsmasq-base and nftables"),
]
UDHCPC_SCRIPT = """#!/bin/sh
case "$1" in
  bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface"; echo "lease $ip";;
esac
"""
CIDR, GATEWAY, DHCP_SERVER = "198.18.77.0/24", "198.18.77.1", "198.18.77.2"


def sh(*argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=timeout)


class Namespaces:
    """Named network namespaces made by a test, all deleted at the end."""

    def __init__(self) -> None:
        self.tag = uuidlib.uuid4().hex[:6]
        self.made: list[str] = []

    def add(self, role: str) -> str:
        name = f"npt{self.tag}-{role}"
        sh("ip", "netns", "add", name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        self.made.append(name)
        return name

    def cleanup(self) -> None:
        for name in reversed(self.made):
            sh("ip", "netns", "del", name, check=False)


@pytest.fixture
def netns():
    ns = Namespaces()
    yield ns
    ns.cleanup()


@pytest.fixture
def plane(netns, tmp_path):
    host = netns.add("host")
    p = DataPlane(tmp_path / "netplane", host_netns=host, ns_prefix=f"npq{netns.tag}-")
    yield p
    for pid in p.dhcp.running().values():  # whatever a failed test left running
        os.kill(pid, signal.SIGKILL)
    for network_id in p.dhcp.namespaces():
        sh("ip", "netns", "del", p.dhcp.namespace(network_id), check=False)


@pytest.fixture
def udhcpc_script(tmp_path):
    path = tmp_path / "udhcpc.sh"
    path.write_text(UDHCPC_SCRIPT)
    path.chmod(0o755)
    return str(path)


def vif(network_id: str, n: int, *rules: SecurityGroupRule) -> VifSpec:
    return VifSpec(port_id=str(uuidlib.uuid4()), mac=f"fa:16:3e:00:77:{n:02x}", network_id=network_id,
                   fixed_ips=(f"198.18.77.{n}",), cidr=CIDR, gateway=GATEWAY, dns_nameservers=("198.18.77.1",),
                   security_group_rules=rules, dhcp_server=DHCP_SERVER)


def guest(netns: Namespaces, plane: DataPlane, v: VifSpec, role: str, *, address: bool = False) -> str:
    """A namespace standing in for a guest: its eth0 is a veth whose bridge end is named as the port's tap."""
    ns = netns.add(role)
    sh("ip", "-n", plane.host_netns, "link", "add", v.tap, "type", "veth", "peer", "name", "eth0", "netns", ns)
    sh("ip", "-n", plane.host_netns, "link", "set", v.tap, "master", v.bridge, "up")
    sh("ip", "-n", ns, "link", "set", "eth0", "address", v.mac, "up")
    if address:
        sh("ip", "-n", ns, "addr", "add", f"{v.fixed_ips[0]}/24", "dev", "eth0")
    return ns


def client(netns: Namespaces, plane: DataPlane, bridge: str, address: str, role: str) -> str:
    """A namespace on the bridge that is no port (no rules of its own): where test traffic comes from."""
    ns = netns.add(role)
    end = f"c{netns.tag}{role[-3:]}"
    sh("ip", "-n", plane.host_netns, "link", "add", end, "type", "veth", "peer", "name", "eth0", "netns", ns)
    sh("ip", "-n", plane.host_netns, "link", "set", end, "master", bridge, "up")
    sh("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
    sh("ip", "-n", ns, "link", "set", "eth0", "up")
    return ns


def dhcp(ns: str, script: str, tries: int = 8) -> str | None:
    """The address busybox udhcpc gets in `ns` (None: no lease)."""
    res = sh("ip", "netns", "exec", ns, "busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", str(tries),
             "-T", "1", "-s", script, check=False, timeout=60)
    for line in res.stdout.splitlines():
        if line.startswith("lease "):
            return line.split()[1]
    return None


def pings(ns: str, address: str, *extra: str) -> bool:
    return sh("ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", *extra, address, check=False).returncode == 0


def reaches(ns: str, address: str, *extra: str, timeout: float = 10.0) -> bool:
    """A ping answered within `timeout`: a path just made may lose its first packet or two (neighbour
    resolution on a loaded machine once took a single 1 s ping past its wait). A refused path is checked
    with one ping (`not pings`)."""
    deadline = time.monotonic() + timeout
    while not pings(ns, address, *extra):
        if time.monotonic() > deadline:
            return False
    return True


def connects(ns: str, address: str, port: int) -> bool:
    res = subprocess.run(["ip", "netns", "exec", ns, "busybox", "nc", "-w", "2", address, str(port)],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    return "hello" in res.stdout


class Listener:
    """`busybox nc -ll` in a namespace, answering every connection with 'hello'; listening when made."""

    def __init__(self, ns: str, port: int) -> None:
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, "busybox", "nc", "-ll", "-p", str(port),
                                      "-e", "echo", "hello"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not connects(ns, "127.0.0.1", port):
            assert time.monotonic() < deadline and self.proc.poll() is None, "the listener did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def test_dhcp_gives_each_port_its_fixed_ip_by_mac_and_nothing_else(plane, netns, udhcpc_script):
    net = str(uuidlib.uuid4())
    a, b = vif(net, 10), vif(net, 11)
    plane.port_plug("inst-a", a)
    pid = plane.dhcp.pid(net)
    assert pid is not None
    host = plane.host_netns
    assert br.bridges(host) == [a.bridge]
    assert f"{GATEWAY}/24" in sh("ip", "-n", host, "addr", "show", "dev", a.bridge).stdout
    ga = guest(netns, plane, a, "ga")
    assert dhcp(ga, udhcpc_script) == "198.18.77.10"

    plane.port_plug("inst-b", b)  # a new port: the hosts file is reloaded (SIGHUP), dnsmasq is not restarted
    assert plane.dhcp.pid(net) == pid
    gb = guest(netns, plane, b, "gb")
    assert dhcp(gb, udhcpc_script) == "198.18.77.11"
    plane.port_plug("inst-b", b)  # a repeat changes nothing
    assert plane.dhcp.pid(net) == pid

    # a MAC the network service did not give a port gets nothing: the range is static
    stranger = client(netns, plane, a.bridge, "198.18.77.200", "str")
    sh("ip", "-n", stranger, "addr", "flush", "dev", "eth0")
    assert dhcp(stranger, udhcpc_script, tries=3) is None

    plane.port_unplug(a.port_id)
    assert "198.18.77.10" not in (plane.state_dir / "dhcp" / net / "hosts").read_text()
    plane.port_unplug(b.port_id)  # the network's last port: its bridge, namespace and dnsmasq go
    plane.port_unplug(b.port_id)  # already gone succeeds
    assert br.bridges(host) == [] and plane.dhcp.namespaces() == [] and plane.dhcp.running() == {}
    assert firewall.tables(host) == []


def test_security_group_rules_allow_only_what_they_list_and_changes_are_honoured(plane, netns):
    net, group = str(uuidlib.uuid4()), str(uuidlib.uuid4())
    member, outsider = "198.18.77.50", "198.18.77.60"
    # the default group's shape: all egress, ingress from the group's members (the host's set of them)
    default_group = (SecurityGroupRule("egress"), SecurityGroupRule("egress", ethertype="IPv6"),
                     SecurityGroupRule("ingress", remote_group_id=group))
    p = vif(net, 10, *default_group)
    plane.port_plug("inst-p", p)
    assert plane.group_members_apply({group: ["198.18.77.10", member, "fd00::50"]}) == [group]
    host = plane.host_netns
    assert firewall.group_sets(host) == {f"g4-{group}": ["198.18.77.10", member], f"g6-{group}": ["fd00::50"]}
    assert f"ip saddr @g4-{group} accept" in sh("ip", "netns", "exec", host, "nft", "list", "ruleset").stdout
    gp = guest(netns, plane, p, "gp", address=True)
    cm = client(netns, plane, p.bridge, member, "mem")
    co = client(netns, plane, p.bridge, outsider, "out")
    listener = Listener(gp, 8080)
    try:
        assert reaches(cm, "198.18.77.10") and connects(cm, "198.18.77.10", 8080)  # a member: anything
        assert not pings(co, "198.18.77.10") and not connects(co, "198.18.77.10", 8080)  # others: nothing
        assert reaches(gp, outsider)  # egress is open, and the reply comes back (established)

        # the outsider joins the group: one set update, no chain rewritten; and leaves again
        chains = sh("ip", "netns", "exec", host, "nft", "-a", "list", "chain", "inet", "compute_platform",
                    f"in-{p.port_id}").stdout
        plane.group_members_apply({group: ["198.18.77.10", member, outsider]})
        assert reaches(co, "198.18.77.10") and connects(co, "198.18.77.10", 8080)
        assert sh("ip", "netns", "exec", host, "nft", "-a", "list", "chain", "inet", "compute_platform",
                  f"in-{p.port_id}").stdout == chains  # same rules, same handles
        plane.group_members_apply({group: ["198.18.77.10", member]})
        assert not pings(co, "198.18.77.10") and pings(cm, "198.18.77.10")

        # an ingress rule added: TCP 8080 from the whole subnet; ping still only from the member
        plane.port_plug("inst-p", vif_with(p, *default_group, SecurityGroupRule(
            "ingress", protocol="tcp", port_range_min=8080, port_range_max=8080, remote_ip_prefix=CIDR)))
        assert connects(co, "198.18.77.10", 8080) and not pings(co, "198.18.77.10")

        # the rules taken away: ICMP only, from anywhere; no egress at all; no rule names the group: no set
        plane.port_plug("inst-p", vif_with(p, SecurityGroupRule("ingress", protocol="icmp")))
        assert reaches(co, "198.18.77.10") and pings(cm, "198.18.77.10")
        assert not connects(cm, "198.18.77.10", 8080)
        assert not pings(gp, outsider)  # egress closed
        assert firewall.group_sets(host) == {} and plane.groups.all() == {}

        # anti-spoofing: the guest may not send from an address that is not its port's
        plane.port_plug("inst-p", vif_with(p, *default_group))
        plane.group_members_apply({group: [member]})
        sh("ip", "-n", gp, "addr", "add", "198.18.77.99/24", "dev", "eth0")
        assert reaches(gp, member, "-I", "198.18.77.10") and not pings(gp, member, "-I", "198.18.77.99")
    finally:
        listener.stop()
    assert firewall.port_chains(plane.host_netns) == sorted(
        [f"in-{p.port_id}", f"out-{p.port_id}", f"spoof-{p.port_id}"])
    plane.port_unplug(p.port_id)
    assert firewall.port_chains(plane.host_netns) == [] and firewall.group_sets(host) == {}


def vif_with(v: VifSpec, *rules: SecurityGroupRule) -> VifSpec:
    return VifSpec(**{**v.__dict__, "security_group_rules": rules})


def test_a_floating_ip_is_nat_between_the_external_bridge_and_the_guest(plane, netns):
    net, ext = str(uuidlib.uuid4()), str(uuidlib.uuid4())
    icmp_in = (SecurityGroupRule("egress"), SecurityGroupRule("ingress", protocol="icmp"))
    p = vif(net, 10, *icmp_in)
    plane.port_plug("inst-f", p)
    gp = guest(netns, plane, p, "gf", address=True)
    sh("ip", "-n", gp, "route", "add", "default", "via", GATEWAY)
    fip = FloatingIPSpec(floating_ip="203.0.113.10", fixed_ip="198.18.77.10", port_id=p.port_id, network_id=ext,
                         cidr="203.0.113.0/24")
    plane.floating_ips_apply([fip])
    outside = client(netns, plane, br.bridge_name(ext), "203.0.113.50", "ext")  # knows no route to the guest
    assert reaches(outside, fip.floating_ip)  # DNAT to the guest, and the reply back
    assert reaches(gp, "203.0.113.50")  # SNAT: the outside answers the floating IP
    assert nat.rules(plane.host_netns) == [
        "ip daddr 203.0.113.10 dnat to 198.18.77.10", "ip daddr 203.0.113.10 dnat to 198.18.77.10",
        f'oifname "{br.bridge_name(ext)}" ip saddr 198.18.77.10 snat to 203.0.113.10']
    # the port's security group still decides what reaches the guest by its floating IP
    plane.port_plug("inst-f", vif_with(p, SecurityGroupRule("egress")))
    assert not pings(outside, fip.floating_ip)
    plane.port_plug("inst-f", p)
    # a worker restart: the floating IPs survive a reconcile that keeps the port
    assert plane.reconcile({"inst-f": [p]}).stale_bridges == []
    assert reaches(outside, fip.floating_ip)
    plane.floating_ips_apply([])  # disassociated: no NAT, and the external bridge is gone
    assert not pings(outside, fip.floating_ip)
    assert nat.rules(plane.host_netns) == [] and br.bridges(plane.host_netns) == [p.bridge]
    plane.port_unplug(p.port_id)
    assert br.bridges(plane.host_netns) == []


def test_reconcile_removes_stale_pieces_and_restores_missing_ones(plane, netns, udhcpc_script):
    keep_net, stale_net, group, old = (str(uuidlib.uuid4()) for _ in range(4))
    keep, gone = vif(keep_net, 20, SecurityGroupRule("ingress", remote_group_id=group)), vif(
        stale_net, 21, SecurityGroupRule("ingress", remote_group_id=old))
    plane.port_plug("inst-keep", keep)
    plane.port_plug("inst-gone", gone)
    host = plane.host_netns
    # pieces nothing made through the plane: a bridge of ours and a DHCP namespace with its dnsmasq gone
    sh("ip", "-n", host, "link", "add", "brqdeadbeef-00", "type", "bridge")
    sh("ip", "netns", "add", plane.dhcp.namespace("orphan-net"))
    # and the kept network broken: its dnsmasq killed, its bridge deleted, its port record lost
    os.kill(plane.dhcp.pid(keep_net), signal.SIGKILL)
    sh("ip", "-n", host, "link", "del", keep.bridge)
    plane.ports.delete(keep.port_id)

    plane.group_members_apply({group: ["198.18.77.99"], old: ["198.18.77.98"]})  # stale members, a stale set

    report = plane.reconcile({"inst-keep": [keep]}, {group: ["198.18.77.20", "198.18.77.21"]})

    assert br.bridges(host) == [keep.bridge]
    assert plane.dhcp.namespaces() == [keep_net]
    assert set(plane.dhcp.running()) == {keep_net}
    assert [r.vif.port_id for r in plane.ports.all()] == [keep.port_id]
    assert firewall.port_chains(host) == sorted([f"in-{keep.port_id}", f"out-{keep.port_id}",
                                                  f"spoof-{keep.port_id}"])
    assert firewall.group_sets(host) == {f"g4-{group}": ["198.18.77.20", "198.18.77.21"], f"g6-{group}": []}
    assert set(report.networks_removed) >= {stale_net, "orphan-net"} and report.stale_bridges == ["brqdeadbeef-00"]
    assert report.stale_ports == [gone.port_id] and keep_net in report.dhcp_started
    # the restored network serves its port again
    assert dhcp(guest(netns, plane, keep, "gk"), udhcpc_script) == "198.18.77.20"

    again = plane.reconcile({"inst-keep": [keep]}, {group: ["198.18.77.20"]})  # a second pass finds nothing to do
    assert not (again.networks_created or again.networks_removed or again.dhcp_started or again.stale_bridges)
    plane.reconcile({})  # nothing needed: nothing left
    assert br.bridges(host) == [] and plane.dhcp.namespaces() == [] and plane.dhcp.running() == {}
    assert firewall.tables(host) == []


def test_config_drive_reads_back_with_its_label_and_files(tmp_path):
    import json

    from hypervisors import configdrive

    spec = InstanceSpec(uuid=str(uuidlib.uuid4()), name="Web 1", vcpus=1, memory_mb=64, root_gb=1,
                        key_data="ssh-ed25519 AAAAC3Nza test@example", user_data="#cloud-config\nruncmd: [true]\n",
                        metadata={"role": "web"}, config_drive=True, vifs=(vif("net-1", 30),))
    path = configdrive.build(spec, tmp_path / "disk.config")
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    blkid = sh("blkid", "-o", "export", str(path)).stdout
    assert "LABEL=config-2" in blkid and "TYPE=iso9660" in blkid
    label, files = configdrive.read(path)
    assert label == "config-2"
    meta = json.loads(files["/openstack/latest/meta_data.json"])
    assert (meta["uuid"], meta["name"], meta["hostname"], meta["meta"]) == (spec.uuid, "Web 1", "web-1", {"role": "web"})
    assert list(meta["public_keys"].values()) == [spec.key_data]
    net = json.loads(files["/openstack/latest/network_data.json"])
    assert net["links"] == [{"id": spec.vifs[0].tap, "vif_id": spec.vifs[0].port_id, "type": "bridge", "mtu": 1500,
                             "ethernet_mac_address": "fa:16:3e:00:77:1e"}]
    assert net["networks"][0]["type"] == "ipv4_dhcp" and net["networks"][0]["network_id"] == "net-1"
    assert net["services"] == [{"type": "dns", "address": "198.18.77.1"}]
    assert files["/openstack/latest/user_data"] == spec.user_data.encode()
