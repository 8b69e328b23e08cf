"""Reads for the compute service: a server's addresses and groups (its API body), and its NICs as the host
plugs them (tasks/specs.py turns these plain dicts into VifSpecs)."""
import uuid
from collections import defaultdict

from django.db.models import Exists, OuterRef, Prefetch, Q

from compute_platform import sql
from compute_platform.compute.models import Instance
from compute_platform.compute.selectors import UuidText
from compute_platform.compute.states import VmState

from .models import FloatingIP, GroupSetHolder, IPAllocation, Network, Port, SecurityGroupRule, Subnet
from .models.ports import DHCP_OWNER

# The reads every build with a port makes are written in SQL (compute_platform/sql.py says why): its NICs, their
# rules, the sets those name, and the hosts its new members are pushed to.
_PORT, _ALLOC, _SUBNET, _NETWORK, _RULE = (
    m._meta.db_table for m in (Port, IPAllocation, Subnet, Network, SecurityGroupRule))
_PORT_GROUPS = Port.security_groups.through._meta.db_table
_HOLDER = GroupSetHolder._meta.db_table


def _sorted_ports(instance_uuids):
    return (Port.objects.filter(device_id__in=[str(u) for u in instance_uuids]).select_related("network")
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


_RULE_FIELDS = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
                "remote_group_id")
# No port security: everything passes, said as allow-all rules (the data plane knows only allow-lists).
_ALLOW_ALL = [{"direction": d, "ethertype": e} for d in ("ingress", "egress") for e in ("IPv4", "IPv6")]


def _rule_values(row: dict) -> dict:
    """A rule as the host enforces it. A remote group stays a group (its id): the host matches it against its
    set of the group's members (group_members), so a member coming or going changes no port's rules."""
    values = {k: row[k] for k in _RULE_FIELDS}
    values["remote_group_id"] = sql.uuid_str(values["remote_group_id"])
    return values


# A port's rules, joined to ports `p` (a row per rule: one, all NULL, for a port without).
_RULES_JOIN = (f"LEFT JOIN {_PORT_GROUPS} g ON g.port_id = p.id "
               f"LEFT JOIN {_RULE} r ON r.security_group_id = g.securitygroup_id")
_RULES_COLUMNS = ", ".join(["p.port_security_enabled", *(f"r.{f}" for f in _RULE_FIELDS), "r.id"])


def _rules_of(rows) -> dict:
    """{port id: its allow rules as plain values} from rows of (port id, *_RULES_COLUMNS), a row repeated any
    number of times. Ports with the same rules share one list (a group's members all have its rules)."""
    rule_ids: dict = defaultdict(dict)  # {port id: {rule id: None}}, an ordered set
    found: dict = {}
    secured: dict = {}
    for port_id, on, *values, rule_id in rows:
        secured[port_id] = bool(on)
        if on and rule_id is not None:
            rule_ids[port_id][rule_id] = None
            if rule_id not in found:
                found[rule_id] = _rule_values(dict(zip(_RULE_FIELDS, values)))
    shared: dict[tuple, list[dict]] = {}
    rules = {}
    for port_id, on in secured.items():
        if not on:
            rules[port_id] = _ALLOW_ALL
            continue
        key = tuple(sorted(rule_ids[port_id]))
        if key not in shared:
            shared[key] = [found[r] for r in key]
        rules[port_id] = shared[key]
    return rules


def ports_rules(*, port_ids) -> dict[str, list[dict]]:
    """{port id: its rules as instance_vifs gives them}, in one query whatever the number of ports: what a build
    checks the rules it spawned with against once its ports are plugged."""
    where, params = sql.sql_in("p.id", sql.uuid_params(port_ids))
    rows = sql.rows(f"SELECT p.id, {_RULES_COLUMNS} FROM {_PORT} p {_RULES_JOIN} WHERE {where}", params)
    return _rules_of((sql.uuid_str(port_id), *rest) for port_id, *rest in rows)


def group_members(*, group_ids) -> dict[str, list[str]]:
    """{group id: the addresses of every port in it} for each of `group_ids` (an empty list for a group
    without members): what a host's set of the remote group holds. One query, a row per group."""
    members: dict[str, list[str]] = {str(g): [] for g in group_ids}
    if members:
        where, params = sql.sql_in("g.securitygroup_id", sql.uuid_params(members))
        rows = sql.rows(f"SELECT g.securitygroup_id, {sql.string_agg('a.ip_address')} FROM {_PORT_GROUPS} g "
                        f"JOIN {_ALLOC} a ON a.port_id = g.port_id WHERE {where} GROUP BY g.securitygroup_id", params,
                        prepare=True)
        for group_id, ips in rows:
            members[sql.uuid_str(group_id)] = sql.joined_values(ips)
    return members


def host_named_groups(*, host: str) -> set[str]:
    """Every remote group named by a rule of the ports of the live instances on `host`: the sets that host
    needs. One query."""
    named = (SecurityGroupRule.objects.filter(remote_group__isnull=False,
                                              security_group__ports__device_id__in=_live_uuids_on(host),
                                              security_group__ports__port_security_enabled=True)
             .order_by().values_list("remote_group_id", flat=True).distinct())
    return {str(g) for g in named}


def _vifs(where: str, params: list) -> list[tuple[str, dict]]:
    """(device id, the port as plain values: a VifSpec's fields) for the ports `p` matching `where`, in NIC
    order: ports, addresses, subnets, DHCP servers and rules in one query (a row per address and rule)."""
    rows = sql.rows(
        "SELECT p.id, p.device_id, p.mac_address, p.network_id, n.mtu, a.id, a.ip_address, s.ip_version, s.cidr, "
        "s.gateway_ip, s.dns_nameservers, s.enable_dhcp, "
        # the subnet's DHCP server: the first address of a DHCP port in it (from the network's DHCP ports, by
        # index: from the subnet's addresses it read them all)
        f"(SELECT d.ip_address FROM {_PORT} dp JOIN {_ALLOC} d ON d.port_id = dp.id WHERE dp.network_id = p.network_id "
        f"AND dp.device_owner = %s AND d.subnet_id = a.subnet_id ORDER BY d.id LIMIT 1), {_RULES_COLUMNS} "
        f"FROM {_PORT} p JOIN {_NETWORK} n ON n.id = p.network_id LEFT JOIN {_ALLOC} a ON a.port_id = p.id "
        f"LEFT JOIN {_SUBNET} s ON s.id = a.subnet_id {_RULES_JOIN} WHERE {where} ORDER BY p.created_at, p.id, a.id",
        [DHCP_OWNER, *params], prepare=True)
    found: dict = {}  # {port id: (device id, values, its first subnet, its address ids)}, in NIC order
    rule_rows = []
    for port_id, device_id, mac, network_id, mtu, address_id, ip, version, *subnet in rows:
        port_id = sql.uuid_str(port_id)
        subnet, rule = subnet[:5], subnet[5:]
        rule_rows.append((port_id, *rule))
        if port_id not in found:
            found[port_id] = [device_id, {"port_id": port_id, "mac": mac, "network_id": sql.uuid_str(network_id),
                                          "fixed_ips": [], "mtu": mtu}, None, set()]
        entry = found[port_id]
        if ip is None or address_id in entry[3]:  # (an address comes once per rule)
            continue
        entry[3].add(address_id)
        entry[1]["fixed_ips"].append(ip)
        # The port's first IPv4 subnet, else its first subnet, is the one the guest is told about.
        if entry[2] is None or (entry[2][0] != 4 and version == 4):
            entry[2] = (version, *subnet)
    rules = _rules_of(rule_rows)
    out = []
    for port_id, (device_id, vif, first, _) in found.items():
        _, cidr, gateway, dns, dhcp_on, dhcp_server = first or (None, None, None, "[]", False, None)
        vif.update(cidr=cidr, gateway=gateway, dns_nameservers=list(sql.json_value(dns, [])),
                   security_group_rules=rules[port_id], dhcp_server=dhcp_server if dhcp_on else None)
        out.append((device_id, vif))
    return out


def instance_vifs(*, instance_uuid) -> list[dict]:
    """The server's NICs as plain values (a VifSpec's fields), in NIC order. One query."""
    return [vif for _, vif in _vifs("p.device_id = %s", [str(instance_uuid)])]


def live_instance_hosts(*, instance_uuids, with_deleted: bool = False) -> dict[str, str]:
    """{instance uuid: its host's name} for those of the (text) uuids that are live instances with a host
    (`with_deleted`: deleted ones too, whose host may still hold something of them)."""
    rows = Instance.objects.filter(uuid__in=_uuids(instance_uuids), host__isnull=False)
    if not with_deleted:
        rows = rows.exclude(vm_state=VmState.DELETED)
    return {str(u): h for u, h in rows.values_list("uuid", "host__name")}


def _live_compute_owners(ports: Q):
    """The live instances with a host that own a compute port (`device_owner` compute:*) matching `ports`.
    Joined on text: a port's device_id is whatever an API user set it to (cast to a uuid it could fail the
    query), an instance's uuid a uuid column."""
    owned = Port.objects.filter(ports, device_owner__startswith="compute:", device_id=UuidText(OuterRef("uuid")))
    return Instance.objects.filter(Exists(owned), host__isnull=False).exclude(vm_state=VmState.DELETED)


def group_set_holders(*, group_ids=(), groups_of_ports=()) -> list[str]:
    """The hosts that hold a set of one of `group_ids`, or of a group one of the ports `groups_of_ports` is in
    (GroupSetHolder), sorted. One index read, however large the groups."""
    named, params = sql.sql_in("security_group_id", sql.uuid_params(group_ids))
    of_ports, more = sql.sql_in("port_id", sql.uuid_params(groups_of_ports))
    return [host for (host,) in sql.rows(
        f"SELECT DISTINCT host FROM {_HOLDER} WHERE {named} OR security_group_id IN "
        f"(SELECT securitygroup_id FROM {_PORT_GROUPS} WHERE {of_ports}) ORDER BY host", [*params, *more], prepare=True)]


def compute_ports_by_host(*, ports: Q) -> dict[str, list[str]]:
    """{host: ids of the compute ports matching `ports` of its live instances}. Two queries."""
    owners = _live_compute_owners(ports).annotate(text=UuidText("uuid"))
    hosts = dict(owners.values_list("text", "host__name"))
    rows = (Port.objects.filter(ports, device_owner__startswith="compute:", device_id__in=owners.values("text"))
            .order_by().annotate(text=UuidText("id")).values_list("text", "device_id").distinct())
    by_host: dict[str, list[str]] = defaultdict(list)
    for port_id, device_id in rows:
        if device_id in hosts:  # (an owner gone between the two reads)
            by_host[hosts[device_id]].append(port_id)
    return dict(by_host)


def _live_uuids_on(host: str):
    """The (text) uuids of the live instances on `host`, as a subquery."""
    return (Instance.objects.filter(host__name=host).exclude(vm_state=VmState.DELETED)
            .annotate(text=UuidText("uuid")).values("text"))


def host_floating_ips(*, host: str) -> list[dict]:
    """The floating IPs of the ports of the live instances on `host`, as plain values (a FloatingIPSpec's
    fields): what that host must NAT."""
    rows = (FloatingIP.objects.filter(port__device_id__in=_live_uuids_on(host), fixed_ip_address__isnull=False)
            .values_list("floating_ip_address", "fixed_ip_address", "port_id", "floating_network_id",
                         "floating_port__fixed_ips__subnet__cidr").order_by("floating_ip_address"))
    return [{"floating_ip": fip, "fixed_ip": fixed, "port_id": str(port_id), "network_id": str(network_id),
             "cidr": cidr} for fip, fixed, port_id, network_id, cidr in rows]


def host_ports_vifs(*, host: str, port_ids) -> dict[str, list[dict]]:
    """{instance uuid: [its NICs among `port_ids`, as instance_vifs gives them]} for the ports whose live
    instance the database places on `host` (a security group push, re-checked on the host)."""
    vifs = _vifs(*sql.sql_in("p.id", sql.uuid_params(port_ids)))
    hosts = live_instance_hosts(instance_uuids={device_id for device_id, _ in vifs})
    out: dict[str, list[dict]] = defaultdict(list)
    for device_id, vif in vifs:
        if hosts.get(device_id) == host:
            out[device_id].append(vif)
    return dict(out)


def _uuids(values) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out
