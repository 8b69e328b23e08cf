"""Security groups as nftables rules: the whole of our two tables rendered from the plugged ports and
replaced in one `nft -f` transaction, so a change is atomic and re-applying it is harmless.

- `table inet compute_platform`: a chain per port and direction (`in-<port>`, `out-<port>`). Bridged packets
  reach the inet hooks through br_netfilter, where the in/out device is the bridge, not the tap, so packets
  are dispatched to a port's chains by its fixed IPs; the anti-spoofing table makes those addresses
  trustworthy. Security groups are allow-lists: a port's chain accepts what a rule allows, DHCP, and
  established/related traffic, and drops the rest. Ingress is checked for bridged traffic and traffic from
  the host; egress for bridged traffic and traffic to the host, which guests reach only with ICMP.
- `table bridge compute_platform`: a `spoof-<port>` chain on the tap (its real device here): frames must carry
  the port's MAC and IP packets one of its fixed IPs (DHCP discovery from 0.0.0.0 aside).
- a rule naming a remote group matches one named set of the group's members (groups.py), declared in the inet
  table; a membership change reloads only the set (`apply_members`).
"""
from __future__ import annotations

import ipaddress
import json
import logging
import shutil

from typing import Mapping

from hypervisors.base import SecurityGroupRule

from . import groups as sets
from .commands import in_netns, run
from .ports import PortRecord

LOG = logging.getLogger(__name__)
TABLE = "compute_platform"
# Protocol names a rule may use, and their numbers (Neutron accepts either).
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "ipv6-icmp": 58, "sctp": 132, "dccp": 33,
             "udplite": 136, "gre": 47, "esp": 50, "ah": 51, "igmp": 2}
_BY_NUMBER = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6", 132: "sctp", 33: "dccp", 136: "udplite"}
_WITH_PORTS = ("tcp", "udp", "sctp", "dccp", "udplite")
ND_IN = "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert }"
ND_OUT = "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit }"


def _proto_name(protocol: str | None, ethertype: str) -> str | None:
    if protocol is None or protocol in ("any", "0"):
        return None
    if protocol.isdigit():
        protocol = _BY_NUMBER.get(int(protocol), protocol)
    if protocol in ("icmp", "icmpv6", "ipv6-icmp"):
        return "icmp" if ethertype == "IPv4" else "icmpv6"
    return protocol


def rule_match(rule: SecurityGroupRule) -> str | None:
    """The nft match of one allow rule, or None if it cannot apply (say why in the log)."""
    fam, nfproto = ("ip", "ipv4") if rule.ethertype == "IPv4" else ("ip6", "ipv6")
    parts = [f"meta nfproto {nfproto}"]
    if rule.remote_ip_prefix:
        net = ipaddress.ip_network(rule.remote_ip_prefix, strict=False)
        if (net.version == 4) != (rule.ethertype == "IPv4"):
            LOG.warning("rule %s: prefix %s is not %s: skipped", rule, net, rule.ethertype)
            return None
        parts.append(f"{fam} {'saddr' if rule.direction == 'ingress' else 'daddr'} {net}")
    elif rule.remote_group_id:
        name = sets.set_name(rule.remote_group_id, 4 if rule.ethertype == "IPv4" else 6)
        parts.append(f"{fam} {'saddr' if rule.direction == 'ingress' else 'daddr'} @{name}")
    proto = _proto_name(rule.protocol, rule.ethertype)
    lo, hi = rule.port_range_min, rule.port_range_max
    if proto is None:
        pass
    elif proto in _WITH_PORTS:
        if lo is None and hi is None:
            parts.append(f"meta l4proto {proto}")
        else:
            lo, hi = lo if lo is not None else hi, hi if hi is not None else lo
            parts.append(f"{proto} dport {lo}" if lo == hi else f"{proto} dport {min(lo, hi)}-{max(lo, hi)}")
    elif proto in ("icmp", "icmpv6"):
        # Neutron: port_range_min is the ICMP type, port_range_max its code
        parts.append(f"meta l4proto {'icmp' if proto == 'icmp' else 'ipv6-icmp'}")
        if lo is not None:
            parts.append(f"{proto} type {lo}")
            if hi is not None:
                parts.append(f"{proto} code {hi}")
    elif proto.isdigit() and 0 < int(proto) < 256:
        parts.append(f"meta l4proto {int(proto)}")
    elif proto in PROTOCOLS:
        parts.append(f"meta l4proto {PROTOCOLS[proto]}")
    else:
        LOG.warning("rule %s: unknown protocol %r: skipped", rule, rule.protocol)
        return None
    return " ".join(parts)


def _addrs(rec: PortRecord, version: int) -> list[str]:
    return [a for a in rec.vif.fixed_ips if ipaddress.ip_address(a).version == version]


def _port_chains(rec: PortRecord) -> list[str]:
    p, rules = rec.vif.port_id, rec.vif.security_group_rules
    lines = [f'  chain in-{p} {{', "    ct state invalid drop", "    udp sport 67 udp dport 68 accept",
             f"    {ND_IN} accept"]
    lines += [f"    {m} accept" for r in rules if r.direction == "ingress" and (m := rule_match(r))]
    lines += ["    drop", "  }", f'  chain out-{p} {{', "    ct state invalid drop",
              "    udp sport 68 udp dport 67 return", f"    {ND_OUT} return"]
    lines += [f"    {m} return" for r in rules if r.direction == "egress" and (m := rule_match(r))]
    lines += ["    drop", "  }"]
    return lines


def render(ports: list[PortRecord], groups: Mapping[str, tuple[str, ...]] | None = None) -> str:
    """The nft script that makes our tables exactly what `ports` need (none at all for no ports), with the
    sets of the remote groups their rules name holding `groups`' members (empty for a group not given)."""
    script = [f"table inet {TABLE}", f"delete table inet {TABLE}", f"table bridge {TABLE}",
              f"delete table bridge {TABLE}"]
    if not ports:
        return "\n".join(script) + "\n"
    fwd, out, inp = [], [], []
    for rec in ports:
        p = rec.vif.port_id
        for fam, version in (("ip", 4), ("ip6", 6)):
            for a in _addrs(rec, version):
                fwd.append(f'    {fam} saddr {a} jump out-{p}')
                inp.append(f'    {fam} saddr {a} jump out-{p}')
        for fam, version in (("ip", 4), ("ip6", 6)):
            for a in _addrs(rec, version):
                fwd.append(f'    {fam} daddr {a} jump in-{p}')
                out.append(f'    {fam} daddr {a} jump in-{p}')
    established = "    ct state established,related accept"
    groups = groups or {}
    t = [f"table inet {TABLE} {{", *sets.render_sets({g: groups.get(g, ()) for g in sets.referenced(ports)}),
         "  chain forward {", "    type filter hook forward priority filter; policy accept;", established, *fwd, "  }",
         "  chain output {", "    type filter hook output priority filter; policy accept;", established, *out, "  }",
         "  chain input {", "    type filter hook input priority filter; policy accept;", *inp,
         '    iifname "brq*" ct state established,related accept',
         '    iifname "brq*" meta l4proto { icmp, ipv6-icmp } accept',
         '    iifname "brq*" drop', "  }"]
    for rec in ports:
        t += _port_chains(rec)
    t.append("}")
    b = [f"table bridge {TABLE} {{", "  chain prerouting {",
         "    type filter hook prerouting priority filter; policy accept;"]
    b += [f'    iifname "{rec.vif.tap}" jump spoof-{rec.vif.port_id}' for rec in ports]
    b.append("  }")
    for rec in ports:
        v4, v6 = _addrs(rec, 4), _addrs(rec, 6)
        b += [f'  chain spoof-{rec.vif.port_id} {{', f"    ether saddr != {rec.vif.mac} drop",
              f"    ether type arp arp saddr ip != {{ {', '.join(v4 + ['0.0.0.0'])} }} drop",
              "    ether type ip ip saddr 0.0.0.0 udp sport 68 udp dport 67 return"]
        b.append(f"    ether type ip ip saddr != {{ {', '.join(v4)} }} drop" if v4 else "    ether type ip drop")
        b.append(f"    ether type ip6 ip6 saddr != {{ {', '.join(v6 + ['fe80::/10', '::'])} }} drop")
        b.append("  }")
    b.append("}")
    return "\n".join(script + t + b) + "\n"


def apply(netns: str | None, ports: list[PortRecord], groups: Mapping[str, tuple[str, ...]] | None = None, *,
          why: str) -> None:
    """Replace our tables with what `ports` need (and the group sets with `groups`), in one transaction."""
    if not ports and shutil.which("nft") is None:
        return  # nothing to enforce, and no nftables to hold any table of ours
    run(in_netns(netns, ["nft", "-f", "-"]), input=render(ports, groups), what=f"{why}: loading nftables rules")
    LOG.info("%s: nftables rules loaded for %d ports", why, len(ports))


def apply_members(netns: str | None, groups: Mapping[str, tuple[str, ...]], *, why: str) -> None:
    """The (existing) sets of `groups` hold exactly their members, in one transaction; no chain is touched."""
    if groups:
        run(in_netns(netns, ["nft", "-f", "-"]), input=sets.render_update(TABLE, groups),
            what=f"{why}: loading security group sets")
        LOG.info("%s: sets of groups %s loaded", why, sorted(groups))


def group_sets(netns: str | None) -> dict[str, list[str]]:
    """{set name: its elements} of our inet table's sets now (none without the table)."""
    res = run(in_netns(netns, ["nft", "-j", "list", "sets", "inet"]), what="listing nftables sets", check=False)
    out: dict[str, list[str]] = {}
    for item in (json.loads(res.stdout or "{}").get("nftables") or []):
        s = item.get("set")
        if s and s.get("table") == TABLE:
            out[s["name"]] = sorted(str(e) for e in s.get("elem", []))
    return out


def tables(netns: str | None) -> list[str]:
    """Our tables that exist now (`inet compute_platform`, `bridge compute_platform`)."""
    out = run(in_netns(netns, ["nft", "list", "tables"]), what="listing nftables tables").stdout
    return [line.removeprefix("table ").strip() for line in out.splitlines() if line.strip().endswith(f" {TABLE}")]


def port_chains(netns: str | None) -> list[str]:
    """Names of the per-port chains that exist now."""
    res = run(in_netns(netns, ["nft", "list", "chains"]), what="listing nftables chains")
    names = []
    for line in res.stdout.splitlines():
        line = line.strip()
        if line.startswith("chain "):
            name = line.split()[1].strip('"')
            if name.startswith(("in-", "out-", "spoof-")):
                names.append(name)
    return sorted(names)
