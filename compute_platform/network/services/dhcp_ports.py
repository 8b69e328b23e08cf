"""The DHCP server's own port, as Neutron's DHCP agent makes it: one `network:dhcp` port per network with an
address on each subnet that has DHCP enabled, taken from the subnet's allocation pool like any port's, so no
other port can get it. The data plane gives dnsmasq that address (selectors_instances, VifSpec.dhcp_server)."""
import logging

from django.db import transaction

from ..exceptions import IpAddressGenerationFailure
from ..models import IPAllocation, Network, Port
from ..models.ports import DHCP_OWNER
from .port_sql import subnets_with_room
from .ports import _allocate_ip, _insert_port

logger = logging.getLogger(__name__)


def network_dhcp_port_sync(*, network: Network) -> Port | None:
    """Afterwards the network's DHCP port has exactly one address on each subnet with DHCP enabled, and the
    network has no DHCP port when no subnet has DHCP. IpAddressGenerationFailure (409) if a subnet's pool
    has no address left for it. Call inside the transaction that changed the subnets."""
    with transaction.atomic():
        Network.objects.select_for_update().filter(pk=network.pk).values_list("pk").first()  # one sync at a time
        subnets = subnets_with_room(network_id=network.pk, enable_dhcp=True)
        port = Port.objects.filter(network=network, device_owner=DHCP_OWNER).order_by("created_at", "id").first()
        if not subnets:
            if port is not None:
                port.delete()
                logger.info("network %s: DHCP port %s removed (no subnet has DHCP)", network.id, port.id)
            return None
        if port is None:
            port = _insert_port(project_id=network.project_id, network_id=network.pk, mac=None,
                                fields={"device_owner": DHCP_OWNER, "device_id": f"dhcp-{network.id}",
                                        "status": "ACTIVE"})
        IPAllocation.objects.filter(port=port).exclude(subnet_id__in=[s.id for s in subnets]).delete()
        have = set(IPAllocation.objects.filter(port=port).values_list("subnet_id", flat=True))
        for subnet in subnets:
            if subnet.id not in have:
                address = _allocate_ip(port, subnet)
                if address is None:
                    raise IpAddressGenerationFailure(network.id)
                logger.info("network %s: DHCP port %s has %s on subnet %s", network.id, port.id, address, subnet.id)
    return port
