"""Every network with a DHCP-enabled subnet gets its `network:dhcp` port (services/dhcp_ports.py), for the
subnets made before it existed. The address the data plane used then (the last usable one) is kept when no
port holds it, else the first free address of the pools; a full subnet is left without DHCP (logged)."""
import ipaddress
import logging

from django.conf import settings
from django.db import migrations

logger = logging.getLogger(__name__)
DHCP_OWNER = "network:dhcp"  # models.ports.DHCP_OWNER, as of this migration


def _free_address(subnet, used):
    from compute_platform.network import ipam

    net = ipaddress.ip_network(subnet.cidr)
    last = str(net.broadcast_address - 1) if net.version == 4 else None
    if last and last not in used and ipam.in_pools(last, subnet.allocation_pools):
        return last
    return next((ip for ip in ipam.candidates(subnet.allocation_pools, used)), None)


def add_dhcp_ports(apps, schema_editor):
    from compute_platform.network import ipam

    Subnet, Port, IPAllocation = (apps.get_model("network", m) for m in ("Subnet", "Port", "IPAllocation"))
    for subnet in Subnet.objects.filter(enable_dhcp=True).select_related("network").order_by("created_at", "id"):
        network = subnet.network
        port = Port.objects.filter(network=network, device_owner=DHCP_OWNER).first()
        if port is not None and IPAllocation.objects.filter(port=port, subnet=subnet).exists():
            continue
        used = set(IPAllocation.objects.filter(subnet=subnet).values_list("ip_address", flat=True))
        address = _free_address(subnet, used)
        if address is None:
            logger.warning("subnet %s has no free address for its DHCP port: DHCP is off there", subnet.id)
            continue
        if port is None:
            macs = set(Port.objects.filter(network=network).values_list("mac_address", flat=True))
            mac = next(m for m in iter(lambda: ipam.random_mac(settings.NETWORK_BASE_MAC), None) if m not in macs)
            port = Port.objects.create(project_id=network.project_id, network=network, mac_address=mac,
                                       device_owner=DHCP_OWNER, device_id=f"dhcp-{network.id}", status="ACTIVE")
        IPAllocation.objects.create(port=port, subnet=subnet, ip_address=address)


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial")]
    operations = [migrations.RunPython(add_dhcp_ports, migrations.RunPython.noop)]
