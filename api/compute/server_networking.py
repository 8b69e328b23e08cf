"""A server's networking as Nova shows it over the network service: /servers/{id}/ips[/{network}],
os-interface (list, show, attach, detach), /servers/{id}/os-security-groups, and the os-networks and
os-tenant-networks proxies."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.network import selectors as net_selectors
from compute_platform.network.selectors_instances import instance_network_info, instance_port_get, instance_ports
from compute_platform.network.services.interfaces import instance_interface_attach, instance_interface_detach

from ..common.schemas import doc_serializer, nova_errors
from ..common.views import OpenStackView, body_of
from .security_groups import nova_group, proxy_gone

TAGS = ["compute"]

Addresses = doc_serializer("ServerAddresses", {"addresses": serializers.DictField(
    child=serializers.ListField(child=serializers.DictField()), help_text="{network name: [{version, addr}]}")})
NetworkAddresses = doc_serializer("ServerNetworkAddresses", {})
InterfaceAttachment = doc_serializer("InterfaceAttachment", {
    "port_id": serializers.UUIDField(), "net_id": serializers.UUIDField(), "mac_addr": serializers.CharField(),
    "port_state": serializers.CharField(), "fixed_ips": serializers.ListField(child=serializers.DictField())})
InterfaceBody = doc_serializer("InterfaceAttachmentBody", {"interfaceAttachment": InterfaceAttachment()})
InterfaceList = doc_serializer("InterfaceAttachmentList", {"interfaceAttachments": InterfaceAttachment(many=True)})
InterfaceRequest = doc_serializer("InterfaceAttachmentRequest", {"interfaceAttachment": doc_serializer(
    "InterfaceAttachmentInput", {"net_id": serializers.UUIDField(required=False),
                                 "port_id": serializers.UUIDField(required=False),
                                 "fixed_ips": serializers.ListField(child=serializers.DictField(), required=False)})()})
SecurityGroups = doc_serializer("ServerSecurityGroups", {"security_groups": serializers.ListField(
    child=serializers.DictField())})
OsNetworks = doc_serializer("OsNetworks", {"networks": serializers.ListField(child=serializers.DictField())})
OsNetwork = doc_serializer("OsNetwork", {"network": serializers.DictField()})


def _basic(addresses: dict) -> dict:
    # /ips shows only version and addr (Nova's ips view), the server body the extended keys too.
    return {net: [{"version": a["version"], "addr": a["addr"]} for a in addrs] for net, addrs in addresses.items()}


class ServerIpsView(OpenStackView):
    @extend_schema(operation_id="compute_server_ips", summary="A server's addresses by network", tags=TAGS,
                   responses={200: Addresses, **nova_errors({404: "No such server."})})
    def get(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        info = instance_network_info(instance_uuids=[str(instance.uuid)]).get(str(instance.uuid))
        return Response({"addresses": _basic(info["addresses"]) if info else {}})


class ServerIpsNetworkView(OpenStackView):
    @extend_schema(operation_id="compute_server_ips_network", summary="A server's addresses on one network",
                   tags=TAGS, responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="{network: [...]}"),
                                         **nova_errors({404: "No such server, or no address on that network."})})
    def get(self, request, server_id, network_label):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        info = instance_network_info(instance_uuids=[str(instance.uuid)]).get(str(instance.uuid)) or {}
        addresses = _basic(info.get("addresses", {}))
        if network_label not in addresses:
            raise NotFound("Instance is not a member of specified network")
        return Response({network_label: addresses[network_label]})


def interface_body(port) -> dict:
    return {"port_id": str(port.id), "net_id": str(port.network_id), "mac_addr": port.mac_address,
            "port_state": port.status,
            "fixed_ips": [{"subnet_id": str(a.subnet_id), "ip_address": a.ip_address} for a in port.fixed_ips.all()]}


class InterfaceListView(OpenStackView):
    @extend_schema(operation_id="compute_interface_list", summary="A server's port interfaces", tags=TAGS,
                   responses={200: InterfaceList, **nova_errors({404: "No such server."})})
    def get(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        return Response({"interfaceAttachments": [interface_body(p) for p in instance_ports(
            instance_uuid=str(instance.uuid))]})

    @extend_schema(operation_id="compute_interface_attach", summary="Attach a port interface (hot-plug)",
                   tags=TAGS, request=InterfaceRequest,
                   responses={200: InterfaceBody, **nova_errors({
                       400: "Invalid request or network.", 403: "Over the port quota.", 404: "No such server.",
                       409: "The server cannot take it now, the port is in use, or the host refused.",
                       503: "The host cannot be reached."})})
    def post(self, request, server_id):
        body = body_of(request, "interfaceAttachment")
        net_id, port_id, fixed_ips = body.get("net_id"), body.get("port_id"), body.get("fixed_ips")
        for value in (net_id, port_id):
            if value is not None and (not isinstance(value, str) or "\x00" in value or len(value) > 255):
                raise BadRequest("net_id and port_id must be strings")
        if net_id and port_id:
            raise BadRequest("Must not input both network_id and port_id")
        fixed_ip = None
        if fixed_ips is not None:
            if (not isinstance(fixed_ips, list) or len(fixed_ips) != 1 or not isinstance(fixed_ips[0], dict)
                    or not isinstance(fixed_ips[0].get("ip_address"), str) or not net_id):
                raise BadRequest("fixed_ips takes one {'ip_address'} with a net_id")
            fixed_ip = fixed_ips[0]["ip_address"]
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        port = instance_interface_attach(context=self.context, instance=instance, network_id=net_id,
                                         port_id=port_id, fixed_ip=fixed_ip)
        port = instance_port_get(instance_uuid=str(instance.uuid), port_id=port.id)
        return Response({"interfaceAttachment": interface_body(port)})


class InterfaceView(OpenStackView):
    @extend_schema(operation_id="compute_interface_show", summary="One port interface of a server", tags=TAGS,
                   responses={200: InterfaceBody, **nova_errors({404: "No such server or port."})})
    def get(self, request, server_id, port_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        port = instance_port_get(instance_uuid=str(instance.uuid), port_id=port_id)
        if port is None:
            raise NotFound(f"Port {port_id} is not attached")
        return Response({"interfaceAttachment": interface_body(port)})

    @extend_schema(operation_id="compute_interface_detach", summary="Detach a port interface (hot-unplug)",
                   tags=TAGS, responses={202: None, **nova_errors({
                       404: "No such server or port.", 409: "The server cannot now, or the host refused.",
                       503: "The host cannot be reached."})})
    def delete(self, request, server_id, port_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        instance_interface_detach(context=self.context, instance=instance, port_id=port_id)
        return Response(status=202)


class ServerSecurityGroupsView(OpenStackView):
    @extend_schema(operation_id="compute_server_security_groups", summary="A server's security groups", tags=TAGS,
                   responses={200: SecurityGroups, **nova_errors({404: "No such server."})})
    def get(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        groups = {}
        for port in instance_ports(instance_uuid=str(instance.uuid)):
            for group in port.security_groups.all():
                groups[group.id] = group
        return Response({"security_groups": [nova_group(g) for g in groups.values()]})


def _os_network(network) -> dict:
    # Nova's os-networks over Neutron: the id and the name as label; nova-network's fields are null.
    body = {key: None for key in ("bridge", "bridge_interface", "broadcast", "cidr", "cidr_v6", "dhcp_server",
                                  "dhcp_start", "dns1", "dns2", "gateway", "gateway_v6", "host", "injected",
                                  "multi_host", "netmask", "netmask_v6", "priority", "project_id", "rxtx_base",
                                  "share_address", "vlan", "vpn_private_address", "vpn_public_address",
                                  "vpn_public_port", "created_at", "updated_at", "deleted_at", "deleted",
                                  "enable_dhcp", "mtu")}
    body.update({"id": str(network.id), "label": network.name})
    return body


def _tenant_network(network) -> dict:
    # os-tenant-networks over Neutron: Nova says the cidr as the string "None".
    return {"id": str(network.id), "cidr": "None", "label": network.name}


class OsNetworkListView(OpenStackView):
    body = staticmethod(_os_network)

    @extend_schema(operation_id="compute_os_networks_list", summary="Networks (proxy to the network service)",
                   tags=TAGS, responses={200: OsNetworks, **nova_errors({404: "From microversion 2.36."})})
    def get(self, request):
        proxy_gone(request)
        networks = net_selectors.network_resource_list(context=self.context, resource="networks", filters={})
        return Response({"networks": [self.body(n) for n in networks]})


class OsNetworkView(OpenStackView):
    body = staticmethod(_os_network)
    missing = "Network {} could not be found."

    @extend_schema(operation_id="compute_os_network_show", summary="One network (proxy to the network service)",
                   tags=TAGS, responses={200: OsNetwork, **nova_errors({404: "No such network."})})
    def get(self, request, network_id):
        proxy_gone(request)
        try:
            network = net_selectors.network_resource_get(context=self.context, resource="networks",
                                                         resource_id=network_id)
        except NotFound:
            raise NotFound(self.missing.format(network_id))
        return Response({"network": self.body(network)})


@extend_schema_view(get=extend_schema(operation_id="compute_tenant_networks_list", tags=TAGS,
                                      summary="The project's networks (os-tenant-networks proxy, below 2.36)"))
class TenantNetworkListView(OsNetworkListView):
    body = staticmethod(_tenant_network)


@extend_schema_view(get=extend_schema(operation_id="compute_tenant_network_show", tags=TAGS,
                                      summary="One of the project's networks (os-tenant-networks proxy)"))
class TenantNetworkView(OsNetworkView):
    body, missing = staticmethod(_tenant_network), "Network not found"
