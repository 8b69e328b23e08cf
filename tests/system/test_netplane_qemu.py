"""A real guest (QEMU TCG) on the network data plane, through the libvirt driver directly with a VifSpec (the
REST path, the network service's, is tested over this same driver once it is merged): the guest gets its
port's address by DHCP and prints it, answers ping from a namespace on the same bridge only as its
security group allows, an ingress rule change is honoured, the config drive is readable inside the guest,
and after destroy nothing of it is left on the host.

The bridge lives in the machine's own network namespace (libvirtd makes the guest's tap there), on an
address range set aside for benchmarks (198.18.0.0/15), and is gone when the test ends.
"""
from __future__ import annotations

import dataclasses
import subprocess
import uuid as uuidlib

import pytest

from hypervisors.base import ImageRef, InstanceSpec, SecurityGroupRule, VifSpec
from hypervisors.netplane import bridge as br
from hypervisors.netplane import firewall

from .helpers import GUEST_TIMEOUT
from .test_driver_qemu import wait_for

pytestmark = pytest.mark.system
GUEST_IP, MEMBER, OUTSIDER = "198.18.99.10", "198.18.99.50", "198.18.99.60"


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=30)


@pytest.fixture
def clients():
    """Two namespaces on a bridge, each with a veth into it: a security group member and an outsider."""
    tag = uuidlib.uuid4().hex[:6]
    made = []

    def add(bridge: str, address: str, role: str) -> str:
        ns, end = f"npsys{tag}-{role}", f"c{tag}{role}"
        sh("ip", "netns", "add", ns)
        made.append((ns, end))
        sh("ip", "link", "add", end, "type", "veth", "peer", "name", "eth0", "netns", ns)
        sh("ip", "link", "set", end, "master", bridge, "up")
        sh("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        return ns

    yield add
    for ns, end in made:
        sh("ip", "netns", "del", ns, check=False)
        sh("ip", "link", "del", end, check=False)


def pings(ns: str, address: str, count: int = 1) -> bool:
    return sh("ip", "netns", "exec", ns, "ping", "-c", str(count), "-W", "2", address, check=False).returncode == 0


def test_guest_on_the_data_plane(qemu_driver, guest_image, clients):
    console = lambda: qemu_driver.get_console_output(spec.uuid)  # noqa: E731
    member_only = (SecurityGroupRule("egress"), SecurityGroupRule("ingress", remote_ip_prefix=f"{MEMBER}/32"))
    vif = VifSpec(port_id=str(uuidlib.uuid4()), mac="fa:16:3e:5e:00:0a", network_id=str(uuidlib.uuid4()),
                  fixed_ips=(GUEST_IP,), cidr="198.18.99.0/24", gateway="198.18.99.1",
                  security_group_rules=member_only, dhcp_server="198.18.99.2")
    marker = f"user-data-{uuidlib.uuid4().hex[:8]}"
    spec = InstanceSpec(uuid=str(uuidlib.uuid4()), name="net-guest", vcpus=1, memory_mb=128, root_gb=1,
                        image=ImageRef(id="guest-disk", path=str(guest_image.disk), disk_format="qcow2",
                                       kernel_path=str(guest_image.kernel), ramdisk_path=str(guest_image.initramfs)),
                        vifs=(vif,), config_drive=True, user_data=f"{marker}\nmore\n", key_data="ssh-ed25519 AAAA k")
    qemu_driver.spawn(spec)
    try:
        # DHCP: the guest prints the address its port was given
        wait_for(lambda: f"marker-ip: eth0 {GUEST_IP}" in console(), GUEST_TIMEOUT, "the guest's DHCP lease")
        # the config drive, read inside the guest
        wait_for(lambda: f"marker-config-user-data: {marker}" in console(), 60, "the config drive in the guest")
        # Searched in the whole log, not per line: the guest's interactive shell on the same serial port (the
        # console tests') may print its prompt in front of a marker.
        printed = console()
        assert "marker-config-drive: label=config-2" in printed, printed[-3000:]
        assert f'marker-config-meta: "uuid": "{spec.uuid}"' in printed, printed[-3000:]

        member = clients(vif.bridge, MEMBER, "mem")
        outsider = clients(vif.bridge, OUTSIDER, "out")
        assert wait_for(lambda: pings(member, GUEST_IP), 30, "the guest to answer the member's ping")
        assert not pings(outsider, GUEST_IP, count=2)

        # an ingress rule change reaches the host by plugging the port again
        qemu_driver.plug_vif(spec.uuid, dataclasses.replace(vif, security_group_rules=member_only + (
            SecurityGroupRule("ingress", protocol="icmp", remote_ip_prefix=f"{OUTSIDER}/32"),)))
        assert wait_for(lambda: pings(outsider, GUEST_IP), 10, "the guest to answer the outsider after the rule add")
        qemu_driver.plug_vif(spec.uuid, dataclasses.replace(vif, security_group_rules=(SecurityGroupRule("egress"),)))
        assert not pings(member, GUEST_IP, count=2) and not pings(outsider, GUEST_IP)
        assert qemu_driver.list_vifs(spec.uuid) == [vif.port_id]

        # a second port hot-plugged into the running guest gets its address too, and is unplugged again
        second = dataclasses.replace(vif, port_id=str(uuidlib.uuid4()), mac="fa:16:3e:5e:00:0b",
                                     fixed_ips=("198.18.99.11",))
        seen = len(console())
        qemu_driver.plug_vif(spec.uuid, second)
        wait_for(lambda: "marker-ip: eth1 198.18.99.11" in console()[seen:], 60, "the hot-plugged NIC's lease")
        assert qemu_driver.list_vifs(spec.uuid) == [vif.port_id, second.port_id]
        qemu_driver.unplug_vif(spec.uuid, second.port_id)
        assert qemu_driver.list_vifs(spec.uuid) == [vif.port_id]
        assert sh("ip", "link", "show", second.tap, check=False).returncode != 0
        assert not [c for c in firewall.port_chains(None) if second.port_id in c]
    finally:
        qemu_driver.destroy(spec.uuid)

    # nothing of the guest's network is left on the host
    assert vif.bridge not in br.bridges(None)
    assert sh("ip", "link", "show", vif.tap, check=False).returncode != 0
    plane = qemu_driver.network.plane
    assert vif.network_id not in plane.dhcp.namespaces() and vif.network_id not in plane.dhcp.running()
    assert not [c for c in firewall.port_chains(None) if vif.port_id in c]
    assert plane.ports.all() == []
