"""Floating IPs: an address of an external network, held by a port of its own (device_owner
network:floatingip), associated with one fixed IP of a project's port. The NAT itself is the data plane's."""
import logging

from django.db import transaction

from ..exceptions import InUse, InvalidInput, NeutronNotFound
from ..models import FloatingIP, IPAllocation, Network, Port
from .floating_ip_push import floating_ips_push
from .port_sql import subnets_with_room
from .ports import FLOATINGIP_OWNER, _allocate_ip, _insert_port, _ports_remove, _uuid
from .quotas import network_quota_reserve

logger = logging.getLogger(__name__)


class ExternalGatewayForFloatingIPNotFound(InvalidInput):
    fault = "BadRequest"


def _association(project_id: str, port_id, fixed_ip: str | None) -> tuple[Port | None, str | None]:
    if port_id is None:
        return None, None
    port = Port.objects.filter(pk=_uuid(port_id), project_id=project_id).first()
    if port is None:
        raise NeutronNotFound("Port", port_id)
    ips = list(IPAllocation.objects.filter(port=port, subnet__ip_version=4).values_list("ip_address", flat=True))
    if fixed_ip is None:
        if not ips:
            raise InvalidInput(f"Port {port.id} does not have an IPv4 fixed IP to associate a floating IP with.")
        fixed_ip = ips[0]
    elif fixed_ip not in ips:
        raise InvalidInput(f"Port {port.id} does not have fixed ip {fixed_ip}")
    return port, fixed_ip


def floatingip_create(*, context, project_id: str, network: Network, values: dict) -> FloatingIP:
    if not network.external:
        raise ExternalGatewayForFloatingIPNotFound(f"Network {network.id} is not a valid external network")
    port, fixed_ip = _association(project_id, values.get("port_id"), values.get("fixed_ip_address"))
    with transaction.atomic():
        network_quota_reserve(project_id=project_id, resource="floatingip")
        own = _insert_port(project_id=network.project_id, network_id=network.pk, mac=None,
                           fields={"device_owner": FLOATINGIP_OWNER, "status": "N/A"})
        address = None
        for subnet in subnets_with_room(network_id=network.pk, ip_version=4):
            address = _allocate_ip(own, subnet, values.get("floating_ip_address"))
            if address:
                break
        if address is None:
            from ..exceptions import IpAddressGenerationFailure

            raise IpAddressGenerationFailure(network.id)
        fip = FloatingIP.objects.create(project_id=project_id, floating_network=network, floating_port=own,
                                        floating_ip_address=address, port=port, fixed_ip_address=fixed_ip,
                                        description=values.get("description") or "",
                                        status="ACTIVE" if port else "DOWN")
        Port.objects.filter(pk=own.pk).update(device_id=str(fip.id))
        if port is not None:
            floating_ips_push(why=f"floating IP {address} associated", ports=[port.id])
    logger.info("floating IP %s (%s) allocated on network %s (%s)", fip.id, address, network.id, context.request_id)
    return fip


def floatingip_update(*, context, fip: FloatingIP, values: dict) -> FloatingIP:
    """Associate (`port_id`, optional `fixed_ip_address`) or disassociate (`port_id: null`)."""
    if "port_id" in values:
        port, fixed_ip = _association(fip.project_id, values["port_id"], values.get("fixed_ip_address"))
        if port is not None and FloatingIP.objects.filter(port=port, fixed_ip_address=fixed_ip).exclude(
                pk=fip.pk).exists():
            raise InUse(f"Cannot associate floating IP {fip.floating_ip_address} with port {port.id} using fixed IP "
                        f"{fixed_ip}, as that fixed IP already has a floating IP.")
        old_port_id = fip.port_id
        fip.port, fip.fixed_ip_address, fip.status = port, fixed_ip, "ACTIVE" if port else "DOWN"
    if "description" in values:
        fip.description = values["description"] or ""
    with transaction.atomic():
        fip.save()
        if "port_id" in values:
            floating_ips_push(why=f"floating IP {fip.floating_ip_address} moved", only_with_floating_ips=False,
                              ports={p for p in (old_port_id, fip.port_id) if p is not None})
    logger.info("floating IP %s now on port %s (%s)", fip.id, fip.port_id, context.request_id)
    return fip


def floatingip_delete(*, context, fip: FloatingIP) -> None:
    with transaction.atomic():
        port_id = fip.floating_port_id
        if fip.port_id is not None:
            floating_ips_push(why=f"floating IP {fip.floating_ip_address} released", ports=[fip.port_id])
        fip.delete()
        _ports_remove(port_ids=[port_id])
    logger.info("floating IP %s released (%s)", fip.id, context.request_id)
