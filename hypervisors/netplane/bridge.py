"""A network's Linux bridge (`brq` + network id[:11], as Neutron's Linux bridge agent names it) with the
gateway address of each of its subnets on it, and the veth pairs that plug namespaces into it."""
from __future__ import annotations

import logging
import os

from hypervisors.base import VifSpec

from .commands import NetplaneError, ip, ip_json, run

LOG = logging.getLogger(__name__)
BRIDGE_PREFIX = "brq"


def bridge_name(network_id: str) -> str:
    """The network's bridge (VifSpec.bridge holds the naming)."""
    return VifSpec(port_id="-", mac="-", network_id=network_id).bridge


def link_exists(netns: str | None, name: str) -> bool:
    return ip(netns, "link", "show", "dev", name, what=f"looking up {name}", check=False).returncode == 0


def bridges(netns: str | None) -> list[str]:
    """Our bridges in `netns` (every bridge named `brq...`)."""
    return sorted(link["ifname"] for link in ip_json(netns, "link", "show", "type", "bridge", what="listing bridges")
                  if link["ifname"].startswith(BRIDGE_PREFIX))


def veths_with_prefix(netns: str | None, prefix: str) -> list[str]:
    return sorted(link["ifname"] for link in ip_json(netns, "link", "show", "type", "veth", what="listing veths")
                  if link["ifname"].startswith(prefix))


def enable_bridge_netfilter(netns: str | None) -> None:
    """Bridged IP traffic must pass the inet family's hooks, or no security group rule sees a guest's packets
    (br_netfilter; built in on some kernels, a module on Debian's)."""
    if not os.path.exists("/proc/sys/net/bridge"):
        run(["modprobe", "br_netfilter"], what="loading br_netfilter", check=False)
    for key in ("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables"):
        argv = ["sysctl", "-q", "-w", f"{key}=1"]
        run(argv if netns is None else ["ip", "netns", "exec", netns, *argv], what=f"setting {key}")


def bridge_ensure(netns: str | None, name: str, *, addresses: set[str], mtu: int, network_id: str) -> bool:
    """Afterwards bridge `name` exists, is up, has MTU `mtu` and exactly `addresses` ("ip/prefixlen": its
    subnets' gateways, an external network's floating IPs) on it. True if the bridge had to be created."""
    created = False
    if not link_exists(netns, name):
        ip(netns, "link", "add", name, "type", "bridge", what=f"network {network_id}: creating bridge {name}")
        created = True
        LOG.info("network %s: created bridge %s", network_id, name)
    ip(netns, "link", "set", name, "mtu", str(mtu), "up", what=f"network {network_id}: bringing {name} up")
    wanted = set(addresses)
    have = set()
    for link in ip_json(netns, "addr", "show", "dev", name, what=f"addresses of {name}"):
        for a in link.get("addr_info", []):
            if a.get("scope") == "global":
                have.add(f"{a['local']}/{a['prefixlen']}")
    for addr in sorted(wanted - have):
        ip(netns, "addr", "add", addr, "dev", name, what=f"network {network_id}: gateway {addr} on {name}")
        LOG.info("network %s: gateway %s on bridge %s", network_id, addr, name)
    for addr in sorted(have - wanted):
        ip(netns, "addr", "del", addr, "dev", name, what=f"network {network_id}: removing {addr} from {name}")
    return created


def link_delete(netns: str | None, name: str, *, why: str) -> bool:
    """Delete a link (bridge or veth); a missing one is already gone. True if it existed."""
    if not link_exists(netns, name):
        return False
    res = ip(netns, "link", "del", name, what=f"{why}: deleting {name}", check=False)
    if res.returncode != 0 and link_exists(netns, name):
        # (a veth whose peer's namespace was just deleted vanishes by itself: that is not a failure)
        raise NetplaneError(f"{why}: deleting {name}: {res.stderr.strip()}")
    LOG.info("%s: deleted %s", why, name)
    return True


def veth_ensure(netns: str | None, host_end: str, *, peer: str, peer_netns: str, bridge: str, mtu: int,
                why: str) -> None:
    """A veth pair: `host_end` in `netns` plugged into `bridge`, `peer` inside `peer_netns`, both up."""
    if not link_exists(netns, host_end):
        ip(netns, "link", "add", host_end, "mtu", str(mtu), "type", "veth", "peer", "name", peer, "mtu", str(mtu),
           "netns", peer_netns, what=f"{why}: creating veth {host_end}")
    ip(netns, "link", "set", host_end, "master", bridge, "up", what=f"{why}: plugging {host_end} into {bridge}")
    ip(peer_netns, "link", "set", peer, "up", what=f"{why}: bringing {peer} up")
