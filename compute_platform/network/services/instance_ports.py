"""The compute service's side of networking (Nova's network API over Neutron): a server's ports are made
before it is scheduled, bound to its host once placed, and removed (made for it) or unbound (passed in)
when it is deleted or its build fails. Called inside the compute services' transactions, so a failed
create leaves no port behind."""
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from compute_platform import sql
from compute_platform.compute.exceptions import BadRequest, Conflict, Forbidden
from compute_platform.db_retry import db_retry

from ..exceptions import (InUse, InvalidInput, IpAddressAlreadyAllocated, IpAddressGenerationFailure,
                          NeutronNotFound, OverQuota)
from ..models import FloatingIP, GroupSetHolder, IPAllocation, Network, Port, SecurityGroup
from .ports import _ports_remove, _uuid, port_create
from .floating_ip_push import floating_ips_push
from .security_group_push import security_group_members_push_hosts
from .security_groups import security_group_default_ensure

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NetworkRequest:
    """One entry of a server create's `networks`: a network to get a new port on (optionally with a fixed IP),
    or an existing port."""

    network_id: str | None = None
    port_id: str | None = None
    fixed_ip: str | None = None


def _available_networks(context) -> list:
    """The ids of Nova's _get_available_networks: the project's own networks and the shared ones (never
    external)."""
    return list(Network.objects.filter(Q(project_id=context.project_id) | Q(shared=True), external=False)
                .order_by("created_at", "id").values_list("id", flat=True))


def instance_network_requests_resolve(*, context, networks) -> list[NetworkRequest]:
    """What a server create's `networks` means: None (omitted) or "auto" picks the one available network, if
    there is exactly one (several: 409, as Nova); "none" nothing. With no network at all, an omitted `networks`
    gives a server without NICs, and "auto" is a 400 as in Nova when it cannot auto-allocate: Nova would create
    a network for the project (get-me-a-network), which needs routers this service does not have."""
    if networks == "none":
        return []
    if networks is None or networks == "auto":
        available = _available_networks(context)
        if len(available) > 1:
            raise Conflict("Multiple possible networks found, use a Network ID to be more specific.")
        if not available and networks == "auto":
            raise BadRequest(f"Unable to automatically allocate a network for project {context.project_id}")
        return [NetworkRequest(network_id=str(n)) for n in available]
    return [NetworkRequest(network_id=r.get("uuid"), port_id=r.get("port"), fixed_ip=r.get("fixed_ip"))
            for r in networks]


def _security_groups_named(context, names: list[str]) -> list[SecurityGroup]:
    groups = []
    for name in names:
        group = (SecurityGroup.objects.filter(project_id=context.project_id).filter(
                 Q(name=name) | Q(pk=_uuid(name))).order_by("id").first() if name != "default" else
                 security_group_default_ensure(project_id=context.project_id))
        if group is None:
            raise BadRequest(f"Unable to find security_group with name or id '{name}'")
        groups.append(group)
    return groups


def instance_ports_allocate(*, context, requests: list[NetworkRequest], instance_uuids: list[str],
                            security_groups: list[str] | None = None) -> list[list[Port]]:
    """Per instance, its ports in NIC order, owned by it (device_id): new ports on the requested networks, or
    the requested existing ports. Call inside the create's transaction: an error leaves nothing.
    Errors in Nova's words: 400 for a bad request, 409 for a port in use, 403 over the port quota."""
    count = len(instance_uuids)
    if not requests:
        # Named groups must exist even for a server without ports (Nova's _check_requested_secgroups: 400);
        # `default` always does (made on first use), so a boot without ports and other groups reads none.
        _security_groups_named(context, [n for n in security_groups or [] if n != "default"])
        return [[] for _ in range(count)]
    # None: the project's `default`, which port_create reads with the network (or makes on first use).
    groups = None if (security_groups or ["default"]) == ["default"] else _security_groups_named(context,
                                                                                                security_groups)
    if count > 1 and any(r.port_id or r.fixed_ip for r in requests):
        raise BadRequest("Unable to launch multiple instances with a single configured port ID or fixed IP. "
                         "Please launch your instance one by one with different ports.")
    result = []
    try:
        for instance_uuid in instance_uuids:
            ports = []
            for r in requests:
                if r.port_id:
                    port = _existing_port(context, r.port_id)
                    Port.objects.filter(pk=port.pk).update(device_id=instance_uuid, device_owner="compute:nova")
                    ports.append(port)
                    continue
                values = {"security_groups": groups, "device_owner": "compute:nova", "device_id": instance_uuid}
                if r.fixed_ip:
                    values["fixed_ips"] = [{"ip_address": r.fixed_ip}]
                # A network the project may not use is a NeutronNotFound: "Network ... could not be found." (400)
                ports.append(port_create(context=context, project_id=context.project_id, network_id=r.network_id,
                                         values=values, created_for_device=True))
            result.append(ports)
    except OverQuota:
        raise Forbidden("Maximum number of ports exceeded")
    except (IpAddressAlreadyAllocated, InUse) as exc:
        raise Conflict(exc.message)
    except IpAddressGenerationFailure as exc:
        raise Conflict(f"No more available fixed IPs: {exc.message}")
    except (InvalidInput, NeutronNotFound) as exc:
        raise BadRequest(exc.message)
    return result


def _existing_port(context, port_id) -> Port:
    port = Port.objects.filter(pk=_uuid(port_id)).select_for_update().first()
    if port is None or (port.project_id != context.project_id and not context.is_admin):
        raise BadRequest(f"Port {port_id} could not be found.")
    if port.device_id:
        raise Conflict(f"Port {port_id} is still in use.")
    if not IPAllocation.objects.filter(port=port).exists():
        raise BadRequest(f"Port {port_id} requires a FixedIP in order to be used.")
    return port


def instance_ports_bind(*, ports: list[Port], host: str) -> None:
    """Bind the (instance's) ports to its host, before the host plugs them (os-interface attach)."""
    Port.objects.filter(pk__in=[p.pk for p in ports]).update(binding_host_id=host)


def instance_ports_release(*, instance_uuid: str) -> int:
    """Remove the ports made for the instance and unbind the ones it was given; idempotent. Returns how many
    ports it touched."""
    with transaction.atomic():
        ports = list(Port.objects.filter(device_id=str(instance_uuid)).values_list("id", "created_for_device"))
        made = [pid for pid, created in ports if created]
        _ports_remove(port_ids=made)
        floating_ips_push(why=f"instance {instance_uuid} released its ports",
                          ports=[pid for pid, created in ports if not created])
        Port.objects.filter(pk__in=[pid for pid, created in ports if not created]).update(
            device_id="", device_owner="", binding_host_id="", status="DOWN")
    if ports:
        logger.info("instance %s: %d port(s) released (%d removed)", instance_uuid, len(ports), len(made))
    return len(ports)


@db_retry  # run by the build task on its host: a database restart must not fail the build here
def instance_ports_activate(*, instance_uuid: str, host: str, port_ids: list | None = None) -> None:
    """The host built the instance and plugged its NICs (`port_ids`; read here if not given): its ports are
    bound to the host and ACTIVE (Nova binds them from the compute host; Neutron's agent reports them up). One
    UPDATE, then the pushes, sent once it is committed."""
    if port_ids is None:
        port_ids = list(Port.objects.filter(device_id=str(instance_uuid)).values_list("id", flat=True))
    if not port_ids:
        return
    # In SQL (every build with a port makes this write; compute_platform/sql.py says why), which also says which
    # ports hold a floating IP (their host NATs them from now on) and which hosts hold a set of their groups.
    where, params = sql.sql_in("id", sql.uuid_params(port_ids))
    table = Port._meta.db_table
    rows = sql.rows(
        f"UPDATE {table} SET binding_host_id = %s, status = %s WHERE {where} AND device_id = %s RETURNING id, "
        f"EXISTS (SELECT 1 FROM {FloatingIP._meta.db_table} f WHERE f.port_id = {table}.id), "
        f"(SELECT {sql.string_agg('h.host')} FROM {GroupSetHolder._meta.db_table} h WHERE h.security_group_id IN "
        f"(SELECT g.securitygroup_id FROM {Port.security_groups.through._meta.db_table} g WHERE g.port_id = {table}.id))",
        [host, "ACTIVE", *params, str(instance_uuid)], prepare=True)
    # The ports' addresses are members of their groups since their create: every host holding a set of one of
    # them reloads it, this one too unless it read the set itself (tasks/network_push.py: plugged_ports_settle).
    # Read in the UPDATE, the holders are as fresh as a read after the commit: a host that became one later read
    # the members after the create.
    security_group_members_push_hosts(why=f"instance {instance_uuid} active on {host}",
                                      hosts={h for *_, holders in rows for h in sql.joined_values(holders)})
    floating_ips_push(why=f"instance {instance_uuid} active on {host}", only_with_floating_ips=False,
                      ports=[sql.uuid_str(port_id) for port_id, floating, _ in rows if floating])
