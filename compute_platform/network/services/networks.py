"""Networks and subnets: create, update, delete."""
import logging

from django.db import transaction

from ..exceptions import InUse, InvalidInput, PolicyNotAuthorized
from .. import ipam
from ..models import IPAllocation, Network, Subnet
from ..models.ports import DHCP_OWNER
from .dhcp_ports import network_dhcp_port_sync
from .floating_ips import floatingip_delete
from .quotas import network_quota_reserve

logger = logging.getLogger(__name__)

ADMIN_ATTRIBUTES = {"shared": "create_network:shared", "router:external": "create_network:router:external"}


def network_create(*, context, project_id: str, values: dict) -> Network:
    """`shared` and `router:external` are an admin's to set, as Neutron's policy has it."""
    for attr, rule in ADMIN_ATTRIBUTES.items():
        if values.get(attr) and not context.is_admin:
            raise PolicyNotAuthorized(rule)
    mtu = values.get("mtu", 1500)
    if not isinstance(mtu, int) or isinstance(mtu, bool) or not 68 <= mtu <= 9000:
        raise InvalidInput(f"Requested MTU {mtu} is not between 68 and 9000.")
    with transaction.atomic():
        network_quota_reserve(project_id=project_id, resource="network")
        network = Network.objects.create(
            project_id=project_id, name=values.get("name") or "", description=values.get("description") or "",
            admin_state_up=values.get("admin_state_up", True), shared=bool(values.get("shared", False)),
            external=bool(values.get("router:external", False)), mtu=mtu)
    logger.info("network %s (%s) created in project %s (%s)", network.id, network.name, project_id,
                context.request_id)
    return network


def network_update(*, context, network: Network, values: dict) -> Network:
    for attr, rule in ADMIN_ATTRIBUTES.items():
        if attr in values and not context.is_admin:
            raise PolicyNotAuthorized(rule.replace("create_", "update_"))
    for key, attr in (("name", "name"), ("description", "description"), ("admin_state_up", "admin_state_up"),
                      ("shared", "shared"), ("router:external", "external"), ("mtu", "mtu")):
        if key in values:
            setattr(network, attr, values[key] if values[key] is not None else "")
    network.save()
    return network


def network_delete(*, context, network: Network) -> None:
    """409 NetworkInUse while a port is on it (its DHCP port aside); its subnets go with it, and (as Neutron)
    its floating IPs that no port uses (an associated one keeps it in use)."""
    with transaction.atomic():
        for fip in network.floating_ips.filter(port__isnull=True):
            floatingip_delete(context=context, fip=fip)
        if network.ports.exclude(device_owner=DHCP_OWNER).exists():
            raise NetworkInUse(f"Unable to complete operation on network {network.id}. There are one or more "
                               f"ports still in use on the network.")
        network.ports.all().delete()
        Subnet.objects.filter(network=network).delete()
        network.delete()
    logger.info("network %s deleted (%s)", network.id, context.request_id)


class NetworkInUse(InUse):
    fault = "NetworkInUse"


class SubnetInUse(InUse):
    fault = "SubnetInUse"


def _host_routes(routes) -> list[dict]:
    out = []
    for route in routes or []:
        if not isinstance(route, dict) or set(route) != {"destination", "nexthop"}:
            raise InvalidInput("host_routes entries need exactly 'destination' and 'nexthop'")
        out.append({"destination": str(ipam.parse_cidr_any(route["destination"])),
                    "nexthop": ipam.parse_ip(route["nexthop"])})
    return out


def subnet_create(*, context, project_id: str, network: Network, values: dict) -> Subnet:
    if network.project_id != project_id and not (context.is_admin or network.shared):
        raise PolicyNotAuthorized("create_subnet")
    ip_version = values.get("ip_version", 4)
    if ip_version not in (4, 6):
        raise InvalidInput(f"'{ip_version}' is not in [4, 6]")
    if not values.get("cidr"):
        raise InvalidInput("cidr is required (subnet pools are not supported)")
    net = ipam.parse_cidr(values["cidr"], ip_version)
    if "gateway_ip" in values:
        gateway = ipam.parse_ip(values["gateway_ip"], net) if values["gateway_ip"] is not None else None
    else:
        gateway = ipam.default_gateway(net)
    if gateway is not None and gateway in (str(net.network_address), str(net.broadcast_address)) and net.version == 4:
        raise InvalidInput(f"Gateway is not valid on subnet {net}")
    pools = (ipam.validate_pools(net, values["allocation_pools"], gateway) if values.get("allocation_pools")
             else ipam.default_pools(net, gateway))
    dns = [ipam.parse_ip(d) for d in values.get("dns_nameservers") or []]
    with transaction.atomic():
        network_quota_reserve(project_id=project_id, resource="subnet")
        for other in Subnet.objects.filter(network=network).values_list("cidr", flat=True):
            if ipam.parse_cidr(other).overlaps(net):
                raise InvalidInput(f"Requested subnet with cidr: {net} for network: {network.id} overlaps with "
                                   f"another subnet")
        subnet = Subnet.objects.create(
            project_id=project_id, network=network, name=values.get("name") or "",
            description=values.get("description") or "", ip_version=ip_version, cidr=str(net), gateway_ip=gateway,
            allocation_pools=pools, dns_nameservers=dns, host_routes=_host_routes(values.get("host_routes")),
            enable_dhcp=values.get("enable_dhcp", True), ipv6_ra_mode=values.get("ipv6_ra_mode"),
            ipv6_address_mode=values.get("ipv6_address_mode"))
        network_dhcp_port_sync(network=network)
    logger.info("subnet %s (%s) created on network %s (%s)", subnet.id, subnet.cidr, network.id, context.request_id)
    return subnet


def subnet_update(*, context, subnet: Subnet, values: dict) -> Subnet:
    net = ipam.parse_cidr(subnet.cidr)
    for key in ("name", "description", "enable_dhcp"):
        if key in values:
            setattr(subnet, key, values[key] if values[key] is not None else "")
    if "dns_nameservers" in values:
        subnet.dns_nameservers = [ipam.parse_ip(d) for d in values["dns_nameservers"] or []]
    if "host_routes" in values:
        subnet.host_routes = _host_routes(values["host_routes"])
    if "gateway_ip" in values:
        subnet.gateway_ip = ipam.parse_ip(values["gateway_ip"], net) if values["gateway_ip"] is not None else None
    if "allocation_pools" in values:
        subnet.allocation_pools = ipam.validate_pools(net, values["allocation_pools"] or [], subnet.gateway_ip)
    with transaction.atomic():
        subnet.save()
        if "enable_dhcp" in values:
            network_dhcp_port_sync(network=subnet.network)
    return subnet


def subnet_delete(*, context, subnet: Subnet) -> None:
    with transaction.atomic():
        if IPAllocation.objects.filter(subnet=subnet).exclude(port__device_owner=DHCP_OWNER).exists():
            raise SubnetInUse(f"Unable to complete operation on subnet {subnet.id}: One or more ports have an IP "
                              f"allocation from this subnet.")
        IPAllocation.objects.filter(subnet=subnet).delete()
        network = subnet.network
        subnet.delete()
        network_dhcp_port_sync(network=network)
    logger.info("subnet %s deleted (%s)", subnet.id, context.request_id)
