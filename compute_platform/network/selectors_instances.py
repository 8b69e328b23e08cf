"""Reads for the compute service: a server's addresses and groups (its API body), and its NICs as the host
plugs them (tasks/specs.py turns these plain dicts into VifSpecs)."""
import ipaddress
from collections import defaultdict

from .models import FloatingIP, IPAllocation, Port, SecurityGroupRule


def _sorted_ports(instance_uuids):
    return (Port.objects.filter(device_id__in=[str(u) for u in instance_uuids])
            .select_related("network").prefetch_related("fixed_ips__subnet", "security_groups")
            .order_by("created_at", "id"))


def instance_uuids_by_ip(*, pattern: str, version: int) -> set[str]:
    """The servers (device ids) with a fixed IPv`version` address containing `pattern`, as Nova's `ip`/`ip6`
    server filters ask Neutron (`ip_address_substr`): Nova strips a leading `^`, a trailing `$` and the
    backslashes of escaped dots from the filter first."""
    pattern = pattern.removeprefix("^").removesuffix("$").replace("\\.", ".")
    rows = (IPAllocation.objects.filter(ip_address__contains=pattern, subnet__ip_version=version)
            .exclude(port__device_id="").values_list("port__device_id", flat=True))
    return set(rows)


def instance_network_info(*, instance_uuids) -> dict[str, dict]:
    """{server uuid: {"addresses": Nova's `addresses`, "security_groups": [{"name"}]}} for the servers that have
    ports: four flat queries whatever the number of servers (a page of 1,000 builds no model objects)."""
    if not instance_uuids:
        return {}
    uuids = [str(u) for u in instance_uuids]
    ports = list(Port.objects.filter(device_id__in=uuids).order_by("created_at", "id").values_list(
        "id", "device_id", "mac_address", "network_id", "network__name"))
    if not ports:
        return {}
    port_ids = [p[0] for p in ports]
    fixed = defaultdict(list)
    for port_id, ip, version in IPAllocation.objects.filter(port_id__in=port_ids).order_by("id").values_list(
            "port_id", "ip_address", "subnet__ip_version"):
        fixed[port_id].append((ip, version))
    floating = defaultdict(list)
    for port_id, ip in FloatingIP.objects.filter(port_id__in=port_ids).values_list("port_id", "floating_ip_address"):
        floating[port_id].append(ip)
    groups = defaultdict(list)
    for port_id, name in Port.security_groups.through.objects.filter(port_id__in=port_ids).order_by(
            "securitygroup__name").values_list("port_id", "securitygroup__name"):
        groups[port_id].append(name)
    info: dict[str, dict] = {}
    for port_id, device_id, mac, network_id, network_name in ports:
        entry = info.setdefault(device_id, {"addresses": {}, "security_groups": []})
        addrs = entry["addresses"].setdefault(network_name or str(network_id), [])
        addrs += [{"version": version, "addr": ip, "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": mac}
                  for ip, version in fixed[port_id]]
        addrs += [{"version": 4, "addr": ip, "OS-EXT-IPS:type": "floating", "OS-EXT-IPS-MAC:mac_addr": mac}
                  for ip in floating[port_id]]
        for name in groups[port_id]:
            if {"name": name} not in entry["security_groups"]:
                entry["security_groups"].append({"name": name})
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
