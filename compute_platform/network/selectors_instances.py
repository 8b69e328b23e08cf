"""Reads for the compute service: a server's addresses and groups (its API body), and its NICs as the host
plugs them (tasks/specs.py turns these plain dicts into VifSpecs)."""
import ipaddress
from collections import defaultdict

from .models import FloatingIP, IPAllocation, Port, SecurityGroupRule


def _sorted_ports(instance_uuids):
    return (Port.objects.filter(device_id__in=[str(u) for u in instance_uuids])
            .select_related("network").prefetch_related("fixed_ips__subnet", "security_groups")
            .order_by("created_at", "id"))


def instance_network_info(*, instance_uuids) -> dict[str, dict]:
    """{server uuid: {"addresses": Nova's `addresses`, "security_groups": [{"name"}], "ports": [Port]}} for the
    servers that have ports, in a constant number of queries."""
    if not instance_uuids:
        return {}
    ports = list(_sorted_ports(instance_uuids))
    floating = defaultdict(list)
    for fip in FloatingIP.objects.filter(port_id__in=[p.id for p in ports]).values(
            "port_id", "floating_ip_address", "fixed_ip_address"):
        floating[fip["port_id"]].append(fip)
    info: dict[str, dict] = {}
    for port in ports:
        entry = info.setdefault(port.device_id, {"addresses": {}, "security_groups": [], "ports": []})
        entry["ports"].append(port)
        label = port.network.name or str(port.network_id)
        addrs = entry["addresses"].setdefault(label, [])
        for alloc in port.fixed_ips.all():
            addrs.append({"version": alloc.subnet.ip_version, "addr": alloc.ip_address,
                          "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": port.mac_address})
        for fip in floating[port.id]:
            addrs.append({"version": 4, "addr": fip["floating_ip_address"], "OS-EXT-IPS:type": "floating",
                          "OS-EXT-IPS-MAC:mac_addr": port.mac_address})
        for group in port.security_groups.all():
            if {"name": group.name} not in entry["security_groups"]:
                entry["security_groups"].append({"name": group.name})
    return info


def instance_ports(*, instance_uuid) -> list[Port]:
    """The server's ports (os-interface), in NIC order, with their addresses."""
    return list(_sorted_ports([instance_uuid]))


def instance_port_get(*, instance_uuid, port_id) -> Port | None:
    return next((p for p in instance_ports(instance_uuid=instance_uuid) if str(p.id) == str(port_id)), None)


def _group_members(group_ids) -> dict:
    """{group id: [ip, ...]}: the addresses of every port in the groups (the remote of a remote-group rule)."""
    members = defaultdict(list)
    rows = IPAllocation.objects.filter(port__security_groups__in=group_ids).values_list(
        "port__security_groups", "ip_address")
    for group_id, ip in rows:
        members[group_id].append(ip)
    return members


def _rules_for(port: Port) -> list[dict]:
    if not port.port_security_enabled:
        # No port security: everything passes, said as allow-all rules (the data plane knows only allow-lists).
        return [{"direction": d, "ethertype": e} for d in ("ingress", "egress") for e in ("IPv4", "IPv6")]
    group_ids = [g.id for g in port.security_groups.all()]
    rules = list(SecurityGroupRule.objects.filter(security_group_id__in=group_ids).order_by("id"))
    members = _group_members({r.remote_group_id for r in rules if r.remote_group_id})
    out = []
    for r in rules:
        base = {"direction": r.direction, "ethertype": r.ethertype, "protocol": r.protocol,
                "port_range_min": r.port_range_min, "port_range_max": r.port_range_max}
        if r.remote_group_id is None:
            out.append({**base, "remote_ip_prefix": r.remote_ip_prefix})
            continue
        version = 4 if r.ethertype == "IPv4" else 6
        for ip in sorted(set(members[r.remote_group_id])):
            addr = ipaddress.ip_address(ip)
            if addr.version == version:
                out.append({**base, "remote_ip_prefix": f"{addr}/{addr.max_prefixlen}"})
    return out


def instance_vifs(*, instance_uuid) -> list[dict]:
    """The server's NICs as plain values (a VifSpec's fields), in NIC order."""
    vifs = []
    for port in instance_ports(instance_uuid=instance_uuid):
        allocs = list(port.fixed_ips.all())
        first = next((a.subnet for a in allocs if a.subnet.ip_version == 4), allocs[0].subnet if allocs else None)
        vifs.append({"port_id": str(port.id), "mac": port.mac_address, "network_id": str(port.network_id),
                     "fixed_ips": [a.ip_address for a in allocs], "cidr": first.cidr if first else None,
                     "gateway": first.gateway_ip if first else None,
                     "dns_nameservers": list(first.dns_nameservers or []) if first else [],
                     "mtu": port.network.mtu, "security_group_rules": _rules_for(port)})
    return vifs
