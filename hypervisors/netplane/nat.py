"""Floating IPs as NAT: `table ip compute_platform_nat`, rendered whole from the host's floating IPs and replaced
in one `nft -f` transaction (like the security group tables). Traffic to a floating IP is DNATed to its fixed IP
(prerouting, and output for the host itself); the port's traffic leaving by the external network's bridge is
SNATed to it. The floating IP itself is an address of the external network's bridge, so the host answers ARP
for it there and routes what it receives (forwarding on) to the guest's bridge, where the port's security group
chains see the original source. The floating IPs are kept in `<state dir>/floating_ips.json`.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from hypervisors.base import FloatingIPSpec

from .bridge import bridge_name
from .commands import NetplaneError, in_netns, run
from .ports import _ID

LOG = logging.getLogger(__name__)
TABLE = "compute_platform_nat"


def check_fip(fip: FloatingIPSpec) -> FloatingIPSpec:
    """`fip` normalised; NetplaneError if any value is malformed (they reach file names and the ruleset)."""
    if not _ID.match(fip.port_id) or not _ID.match(fip.network_id):
        raise NetplaneError(f"floating IP {fip.floating_ip!r}: port and network ids must be letters, digits, '-', '_'")
    try:
        floating, fixed = ipaddress.IPv4Address(fip.floating_ip), ipaddress.IPv4Address(fip.fixed_ip)
        cidr = ipaddress.IPv4Network(fip.cidr, strict=False)
    except ValueError as exc:
        raise NetplaneError(f"floating IP {fip.floating_ip!r}: {exc}") from exc
    if floating not in cidr:
        raise NetplaneError(f"floating IP {floating} is not in {cidr}")
    return FloatingIPSpec(floating_ip=str(floating), fixed_ip=str(fixed), port_id=fip.port_id,
                          network_id=fip.network_id, cidr=str(cidr))


class FloatingStore:
    """The floating IPs this host NATs, one JSON file. Callers hold the data plane's lock around changes."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "floating_ips.json"

    def all(self) -> list[FloatingIPSpec]:
        try:
            return [FloatingIPSpec(**f) for f in json.loads(self.path.read_text())]
        except FileNotFoundError:
            return []

    def put(self, fips: list[FloatingIPSpec]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".fips.")
        with os.fdopen(fd, "w") as f:
            json.dump([dataclasses.asdict(x) for x in fips], f, sort_keys=True)
        os.replace(tmp, self.path)


def render(fips: list[FloatingIPSpec]) -> str:
    """The nft script that makes our NAT table exactly what `fips` need (none at all for none)."""
    script = [f"table ip {TABLE}", f"delete table ip {TABLE}"]
    if not fips:
        return "\n".join(script) + "\n"
    dnat = [f"    ip daddr {f.floating_ip} dnat to {f.fixed_ip}" for f in fips]
    snat = [f'    oifname "{bridge_name(f.network_id)}" ip saddr {f.fixed_ip} snat to {f.floating_ip}' for f in fips]
    script += [f"table ip {TABLE} {{",
               "  chain prerouting {", "    type nat hook prerouting priority dstnat; policy accept;", *dnat, "  }",
               "  chain output {", "    type nat hook output priority -100; policy accept;", *dnat, "  }",
               "  chain postrouting {", "    type nat hook postrouting priority srcnat; policy accept;", *snat,
               "  }", "}"]
    return "\n".join(script) + "\n"


def apply(netns: str | None, fips: list[FloatingIPSpec], *, why: str) -> None:
    if not fips and shutil.which("nft") is None:
        return
    run(in_netns(netns, ["nft", "-f", "-"]), input=render(fips), what=f"{why}: loading the NAT rules")
    LOG.info("%s: NAT rules loaded for %d floating IPs", why, len(fips))


def enable_forwarding(netns: str | None) -> None:
    """A floating IP's traffic is routed between the external bridge and the guest's."""
    argv = ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]
    run(argv if netns is None else ["ip", "netns", "exec", netns, *argv], what="enabling IPv4 forwarding")


def rules(netns: str | None) -> list[str]:
    """The DNAT and SNAT rules of our table now (one line each; none without the table)."""
    res = run(in_netns(netns, ["nft", "list", "table", "ip", TABLE]), what="listing the NAT table", check=False)
    return [line.strip() for line in res.stdout.splitlines() if " dnat to " in line or " snat to " in line]
