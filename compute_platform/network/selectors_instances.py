"""Reads for the compute service: a server's addresses and groups (its API body), and its NICs as the host
plugs them (tasks/specs.py turns these plain dicts into VifSpecs)."""
import ipaddress
import uuid
from collections import defaultdict

from django.db.models import Exists, OuterRef, Prefetch

from compute_platform.compute.models import Instance
from compute_platform.compute.selectors import UuidText
from compute_platform.compute.states import VmState

from .models import FloatingIP, IPAllocation, Port, SecurityGroupRule
from .models.ports import DHCP_OWNER


def _sorted_ports(instance_uuids):
    return (Port.objects.filter(device_id__in=[str(u) for u in instance_uuids])
            .select_related("network")
            .prefetch_related(Prefetch("fixed_ips", IPAllocation.objects.select_related("subnet")), "security_groups")
            .order_by("created_at", "id"))


def instance_uuids_by_ip(*, pattern: str, version: int) -> set[str]:
    """The servers (device ids) with a fixed IPv`version` address containing `pattern`, as Nova's `ip`/`ip6`
    server filters ask Neutron (`ip_address_substr`): Nova strips a leading `^`, a trailing `$` and the
    backslashes of escaped dots from the filter first."""
    pattern = pattern.removeprefix("^").removesuffix("$").replace("\\.", ".")
    rows = (IPAllocation.objects.filter(ip_address__contains=pattern, subnet__ip_version=version)
            .exclude(port__device_id="").values_list("port__device_id", flat=True))
    return set(rows)


def instance_has_ports():
    """Whether a server row has a port, read in the row's own query (compute selectors' server rows): a list
    asks instance_network_info only about the servers that have one."""
    return Exists(Port.objects.filter(device_id=UuidText(OuterRef("uuid"))))


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


def _rules_by_port(ports: list[Port]) -> dict:
    """{port id: its allow rules as plain values}: three queries for any number of ports (a push refreshes
    every member of a group at once). Ports in the same groups share one list: a group's N members each have
    its N members' addresses, built once, not N times."""
    groups = {p.id: [g.id for g in p.security_groups.all()] for p in ports if p.port_security_enabled}
    rules = list(SecurityGroupRule.objects.filter(
        security_group_id__in={g for gs in groups.values() for g in gs}).order_by("id"))
    members = _group_members({r.remote_group_id for r in rules if r.remote_group_id})
    # No port security: everything passes, said as allow-all rules (the data plane knows only allow-lists).
    allow_all = [{"direction": d, "ethertype": e} for d in ("ingress", "egress") for e in ("IPv4", "IPv6")]
    by_groups: dict[frozenset, list[dict]] = {}
    out = {}
    for port in ports:
        if not port.port_security_enabled:
            out[port.id] = allow_all
            continue
        mine = frozenset(groups[port.id])
        if mine not in by_groups:
            by_groups[mine] = [v for r in rules if r.security_group_id in mine for v in _rule_values(r, members)]
        out[port.id] = by_groups[mine]
    return out


def _rule_values(r: SecurityGroupRule, members: dict) -> list[dict]:
    base = {"direction": r.direction, "ethertype": r.ethertype, "protocol": r.protocol,
            "port_range_min": r.port_range_min, "port_range_max": r.port_range_max}
    if r.remote_group_id is None:
        return [{**base, "remote_ip_prefix": r.remote_ip_prefix}]
    # "from members of a group" arrives as the members' addresses
    version, out = 4 if r.ethertype == "IPv4" else 6, []
    for ip in sorted(set(members[r.remote_group_id])):
        addr = ipaddress.ip_address(ip)
        if addr.version == version:
            out.append({**base, "remote_ip_prefix": f"{addr}/{addr.max_prefixlen}"})
    return out


def _vifs(ports: list[Port]) -> list[dict]:
    """The ports as plain values (a VifSpec's fields), in the order given."""
    rules = _rules_by_port(ports)
    firsts = {}
    for port in ports:
        allocs = list(port.fixed_ips.all())
        firsts[port.id] = next((a.subnet for a in allocs if a.subnet.ip_version == 4),
                               allocs[0].subnet if allocs else None)
    dhcp = dict(IPAllocation.objects.filter(
        subnet_id__in={s.id for s in firsts.values() if s is not None and s.enable_dhcp},
        port__device_owner=DHCP_OWNER).values_list("subnet_id", "ip_address"))
    vifs = []
    for port in ports:
        allocs, first = list(port.fixed_ips.all()), firsts[port.id]
        vifs.append({"port_id": str(port.id), "mac": port.mac_address, "network_id": str(port.network_id),
                     "fixed_ips": [a.ip_address for a in allocs], "cidr": first.cidr if first else None,
                     "gateway": first.gateway_ip if first else None,
                     "dns_nameservers": list(first.dns_nameservers or []) if first else [],
                     "mtu": port.network.mtu, "security_group_rules": rules[port.id],
                     "dhcp_server": dhcp.get(first.id) if first else None})
    return vifs


def instance_vifs(*, instance_uuid) -> list[dict]:
    """The server's NICs as plain values (a VifSpec's fields), in NIC order."""
    return _vifs(instance_ports(instance_uuid=instance_uuid))


def live_instance_hosts(*, instance_uuids, with_deleted: bool = False) -> dict[str, str]:
    """{instance uuid: its host's name} for those of the (text) uuids that are live instances with a host
    (`with_deleted`: deleted ones too, whose host may still hold something of them)."""
    rows = Instance.objects.filter(uuid__in=_uuids(instance_uuids), host__isnull=False)
    if not with_deleted:
        rows = rows.exclude(vm_state=VmState.DELETED)
    return {str(u): h for u, h in rows.values_list("uuid", "host__name")}


def host_floating_ips(*, host: str) -> list[dict]:
    """The floating IPs of the ports of the live instances on `host`, as plain values (a FloatingIPSpec's
    fields): what that host must NAT."""
    here = [str(u) for u in Instance.objects.filter(host__name=host).exclude(vm_state=VmState.DELETED)
            .values_list("uuid", flat=True)]
    rows = (FloatingIP.objects.filter(port__device_id__in=here, fixed_ip_address__isnull=False)
            .values_list("floating_ip_address", "fixed_ip_address", "port_id", "floating_network_id",
                         "floating_port__fixed_ips__subnet__cidr").order_by("floating_ip_address"))
    return [{"floating_ip": fip, "fixed_ip": fixed, "port_id": str(port_id), "network_id": str(network_id),
             "cidr": cidr} for fip, fixed, port_id, network_id, cidr in rows]


def host_ports_vifs(*, host: str, port_ids) -> dict[str, list[dict]]:
    """{instance uuid: [its NICs among `port_ids`, as instance_vifs gives them]} for the ports whose live
    instance the database places on `host` (a security group push, re-checked on the host)."""
    ports = list(Port.objects.filter(pk__in=_uuids(port_ids)).select_related("network")
                 .prefetch_related("fixed_ips__subnet", "security_groups").order_by("created_at", "id"))
    hosts = live_instance_hosts(instance_uuids={p.device_id for p in ports})
    ports = [p for p in ports if hosts.get(p.device_id) == host]
    out: dict[str, list[dict]] = defaultdict(list)
    for port, vif in zip(ports, _vifs(ports)):
        out[port.device_id].append(vif)
    return dict(out)


def _uuids(values) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out
