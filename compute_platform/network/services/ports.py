"""Ports: create (a MAC and fixed IPs, allocated atomically), update, delete.

Allocation is a row per address (IPAllocation) under a unique (subnet, ip_address) constraint, and a unique
(network, mac_address) on the port: two concurrent creates that pick one address or one MAC cannot both insert
it. Each is one INSERT ... ON CONFLICT DO NOTHING (port_sql.py): the loser's returns no row and it tries the
next free address (or a new MAC), on SQLite and PostgreSQL alike. No lock is held across a network's
allocations.
"""
import logging
import uuid as uuidlib

from django.conf import settings
from django.db import IntegrityError, transaction

from compute_platform import sql

from .. import ipam
from ..exceptions import (InvalidInput, InUse, IpAddressAlreadyAllocated, IpAddressGenerationFailure,
                          MacAddressInUse, NeutronNotFound, PolicyNotAuthorized)
from ..models import IPAllocation, Port, SecurityGroup
from ..models.ports import DHCP_OWNER
from .quotas import network_quota_reserve
from .floating_ip_push import floating_ips_push
from .port_sql import SubnetRoom, ip_insert, port_groups_insert, port_insert, port_target_read, subnets_with_room
from .security_group_push import port_group_ids, security_group_members_push, security_groups_push
from .security_groups import security_group_default_ensure

logger = logging.getLogger(__name__)

MAC_ATTEMPTS = 16
FLOATINGIP_OWNER = "network:floatingip"


def _uuid(value):
    try:
        return uuidlib.UUID(str(value))
    except ValueError:
        return None


def _allocate_ip(port: Port, subnet: SubnetRoom, ip: str | None = None) -> str | None:
    """Give the port `ip` (409 if taken) or the first free address it wins in the subnet's pools
    (None if the pools are full); `subnet.used_ips`: its addresses taken when it was read."""
    if ip is not None:
        net = ipam.parse_cidr(subnet.cidr)
        ip = ipam.parse_ip(ip, net)
        if ip == subnet.gateway_ip or ip in (str(net.network_address),) or (
                net.version == 4 and ip == str(net.broadcast_address)):
            raise InvalidInput(f"IP address {ip} is not a valid IP for the specified subnet.")
        if not ip_insert(port_id=port.pk, subnet_id=subnet.id, ip=ip):
            raise IpAddressAlreadyAllocated(ip, subnet.id)
        return ip
    for candidate in ipam.candidates(subnet.allocation_pools, set(sql.joined_values(subnet.used_ips))):
        if ip_insert(port_id=port.pk, subnet_id=subnet.id, ip=candidate):
            return candidate
    return None


def _fixed_ip_requests(subnets: list[SubnetRoom], network_id,
                       fixed_ips: list | None) -> list[tuple[SubnetRoom | None, str | None]]:
    """(subnet, ip) pairs: as asked, or one address from the first IPv4 subnet with room and one from each
    IPv6 subnet (Neutron's default). A subnet of None means "any IPv4 subnet"."""
    if fixed_ips is None:
        pairs = [(None, None)] if any(s.ip_version == 4 for s in subnets) else []
        return pairs + [(s, None) for s in subnets if s.ip_version == 6]
    by_id = {str(s.id): s for s in subnets}
    pairs = []
    for item in fixed_ips:
        if not isinstance(item, dict):
            raise InvalidInput("fixed_ips entries must be objects with subnet_id and/or ip_address")
        subnet = None
        if item.get("subnet_id") is not None:
            subnet = by_id.get(str(item["subnet_id"]))
            if subnet is None:
                raise InvalidInput(f"Failed to create port on network {network_id}, because fixed_ips included "
                                   f"invalid subnet {item['subnet_id']}")
        ip = item.get("ip_address")
        if ip is not None and subnet is None:
            subnet = next((s for s in subnets if ipam.contains(s.cidr, ip)), None)
            if subnet is None:
                raise InvalidInput(f"IP address {ip} is not a valid IP for any subnet on network {network_id}.")
        pairs.append((subnet, ip))
    return pairs


def _allocate_all(port: Port, subnets: list[SubnetRoom], fixed_ips: list | None) -> list[tuple]:
    """The port's addresses, taken in the network's `subnets` (subnets_with_room): [(subnet id, address)]."""
    subnets4 = [s for s in subnets if s.ip_version == 4]
    taken = []
    for subnet, ip in _fixed_ip_requests(subnets, port.network_id, fixed_ips):
        if subnet is None:  # any IPv4 subnet with a free address
            address = None
            for subnet in subnets4:
                address = _allocate_ip(port, subnet)
                if address:
                    break
        else:
            address = _allocate_ip(port, subnet, ip)
        if address is None:
            raise IpAddressGenerationFailure(port.network_id)
        taken.append((subnet.id, address))
    return taken


def _security_groups(project_id: str, ids: list | None) -> list[SecurityGroup]:
    """The groups (ids, or SecurityGroup rows already checked by the caller); None: the project's default."""
    if ids is None:
        return [security_group_default_ensure(project_id=project_id)]
    wanted = [g for g in ids if not isinstance(g, SecurityGroup)]
    found = {str(g.id): g for g in SecurityGroup.objects.filter(
        pk__in=[_uuid(g) for g in wanted if _uuid(g)], project_id=project_id)} if wanted else {}
    groups = []
    for gid in ids:
        group = gid if isinstance(gid, SecurityGroup) else found.get(str(_uuid(gid)))
        if group is None:
            raise NeutronNotFound("Security group", gid)
        groups.append(group)
    return groups


def _insert_port(*, project_id: str, network_id, mac: str | None, fields: dict) -> Port:
    for _ in range(MAC_ATTEMPTS if mac is None else 1):
        port = Port(project_id=project_id, network_id=network_id,
                    mac_address=mac or ipam.random_mac(settings.NETWORK_BASE_MAC), **fields)
        if port_insert(port):
            return port
    if mac is not None:
        raise MacAddressInUse(mac, network_id)
    raise InUse(f"Unable to generate a unique mac on network {network_id}.")


def _group_ids(project_id: str, asked: list | None, default_id) -> list:
    """The port's groups: as asked (ids, or SecurityGroup rows the caller checked), else the project's
    `default` (`default_id`, read with the network; made here on the project's first use)."""
    if asked is None:
        return [default_id or security_group_default_ensure(project_id=project_id).id]
    return list(dict.fromkeys(g.id for g in _security_groups(project_id, asked)))  # a group named twice is one


def _as_read(port: Port, addresses: list[tuple], group_ids: list) -> Port:
    """The new port as a read with its addresses and groups prefetched shows it (network_resource_get), from
    what the create wrote: a POST /ports answers without reading it back. Filled in as prefetch_related
    fills them (in the order a read gives)."""
    port._prefetched_objects_cache = {}
    rows = {"fixed_ips": [IPAllocation(port_id=port.pk, subnet_id=s, ip_address=ip) for s, ip in addresses],
            "security_groups": [SecurityGroup(id=g) for g in sorted(group_ids)],
            "tags": []}  # a create sets none (Neutron refuses `tags` in it)
    for name, values in rows.items():
        queryset = getattr(port, name).all()
        queryset._result_cache, queryset._prefetch_done = values, True
        port._prefetched_objects_cache[name] = queryset
    return port


def port_create(*, context, project_id: str, network_id, values: dict, created_for_device: bool = False) -> Port:
    """A port on `network_id` with a MAC and its fixed IPs (as asked, else Neutron's default); `security_groups`
    None: the project's `default`. 404 for a network the project may not use; 409 when the network has no
    free address, the asked address or MAC is taken, or the project is over its port quota; nothing is left of
    a failed create. The port comes with its addresses and groups, as a read shows it."""
    network_uuid = _uuid(network_id)
    target = port_target_read(network_id=network_uuid, project_id=project_id) if network_uuid else None
    if target is None or not (target.project_id == project_id or target.shared or context.is_admin):
        raise NeutronNotFound("Network", network_id)
    mac = ipam.valid_mac(values["mac_address"]) if values.get("mac_address") else None
    device_owner = values.get("device_owner") or ""
    if values.get("binding:host_id") and not context.is_admin:
        raise PolicyNotAuthorized("create_port:binding:host_id")
    secured = values.get("port_security_enabled", True)
    fields = {"name": values.get("name") or "", "description": values.get("description") or "",
              "admin_state_up": values.get("admin_state_up", True), "device_id": values.get("device_id") or "",
              "device_owner": device_owner, "binding_host_id": values.get("binding:host_id") or "",
              "port_security_enabled": secured, "created_for_device": created_for_device}
    # No savepoint of its own: inside a server create, a failure here fails (and rolls back) the whole create.
    with transaction.atomic(savepoint=False):
        limit = settings.NETWORK_QUOTA_DEFAULTS["port"] if target.port_limit is None else target.port_limit
        network_quota_reserve(project_id=project_id, resource="port", limit=limit)
        # Ports of the network service itself (network:*) and ports without port security carry no group.
        wants_groups = secured and not device_owner.startswith("network:")
        if values.get("security_groups") and not wants_groups:
            raise InvalidInput("Port security must be enabled to have security groups on a port.")
        groups = _group_ids(project_id, values.get("security_groups"), target.default_group_id) if wants_groups else []
        port = _insert_port(project_id=project_id, network_id=network_uuid, mac=mac, fields=fields)
        addresses = _allocate_all(port, target.subnets, values.get("fixed_ips"))
        if groups:
            port_groups_insert(port_id=port.pk, group_ids=groups)
            if not created_for_device:  # a server's ports join their groups when its host activates them
                security_group_members_push(why=f"port {port.id} created", groups=groups)
    logger.info("port %s (%s) created on network %s (%s)", port.id, port.mac_address, network_id, context.request_id)
    return _as_read(port, addresses, groups)


def port_update(*, context, port: Port, values: dict) -> Port:
    if "binding:host_id" in values and not context.is_admin:
        raise PolicyNotAuthorized("update_port:binding:host_id")
    with transaction.atomic():
        before = port_group_ids(port_ids=[port.id])
        for key, attr in (("name", "name"), ("description", "description"), ("admin_state_up", "admin_state_up"),
                          ("device_id", "device_id"), ("device_owner", "device_owner"),
                          ("binding:host_id", "binding_host_id"), ("port_security_enabled", "port_security_enabled")):
            if key in values:
                setattr(port, attr, values[key] if values[key] is not None else "")
        if "mac_address" in values:
            if port.binding_host_id:
                raise InUse(f"Unable to complete operation on port {port.id}: it is bound to a host.")
            port.mac_address = ipam.valid_mac(values["mac_address"])
        try:
            with transaction.atomic():
                port.save()
        except IntegrityError:
            raise MacAddressInUse(port.mac_address, port.network_id)
        if "security_groups" in values:
            port.security_groups.set(_security_groups(port.project_id, values["security_groups"] or []))
        if "fixed_ips" in values:
            IPAllocation.objects.filter(port=port).delete()
            _allocate_all(port, subnets_with_room(network_id=port.network_id), values["fixed_ips"] or [])
        if {"security_groups", "fixed_ips", "port_security_enabled"} & set(values):
            security_groups_push(why=f"port {port.id} updated", ports=[port.id])
        if {"security_groups", "fixed_ips"} & set(values):
            security_group_members_push(why=f"port {port.id} updated",
                                        groups=before | port_group_ids(port_ids=[port.id]))
    logger.info("port %s updated (%s)", port.id, context.request_id)
    return port


def port_delete(*, context, port: Port) -> None:
    """A floating IP's own port goes only with the floating IP (409 otherwise), as in Neutron."""
    if port.device_owner in (FLOATINGIP_OWNER, DHCP_OWNER):  # the DHCP port goes with its subnets
        raise InUse(f"Port {port.id} cannot be deleted directly via the port API: it has device owner "
                    f"{port.device_owner}.")
    _ports_remove(port_ids=[port.id])
    logger.info("port %s deleted (%s)", port.id, context.request_id)


def _ports_remove(*, port_ids: list) -> None:
    """Delete ports and their addresses; floating IPs associated with them are disassociated."""
    from ..models import FloatingIP

    with transaction.atomic():
        floating_ips_push(why=f"ports {[str(p) for p in port_ids]} removed", ports=port_ids)
        FloatingIP.objects.filter(port_id__in=port_ids).update(port=None, fixed_ip_address=None, status="DOWN")
        groups = port_group_ids(port_ids=port_ids)
        Port.objects.filter(pk__in=port_ids).delete()
        if groups:
            security_group_members_push(why=f"ports {[str(p) for p in port_ids]} removed", groups=groups)
