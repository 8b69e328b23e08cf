"""Nova's os-tenant-networks proxy (2.1 to 2.35): the networks the project sees in the network service,
as `{id, cidr, label}` (Nova over Neutron says the cidr as the string "None")."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from compute_platform.compute.exceptions import NotFound
from compute_platform.network import selectors as net_selectors

from ..common.schemas import nova_errors
from ..common.views import OpenStackView
from .security_groups import proxy_gone

TAGS = ["compute"]
OBJECT = OpenApiResponse(OpenApiTypes.OBJECT)


def _body(network) -> dict:
    return {"id": str(network.id), "cidr": "None", "label": network.name}


class TenantNetworkListView(OpenStackView):
    @extend_schema(operation_id="compute_tenant_networks_list", summary="The project's networks (proxy)",
                   tags=TAGS, responses={200: OBJECT, **nova_errors({404: "From microversion 2.36."})})
    def get(self, request):
        proxy_gone(request)
        networks = net_selectors.network_resource_list(context=self.context, resource="networks", filters={})
        return Response({"networks": [_body(n) for n in networks]})


class TenantNetworkView(OpenStackView):
    @extend_schema(operation_id="compute_tenant_network_show", summary="One of the project's networks (proxy)",
                   tags=TAGS, responses={200: OBJECT, **nova_errors({404: "No such network."})})
    def get(self, request, network_id):
        proxy_gone(request)
        try:
            network = net_selectors.network_resource_get(context=self.context, resource="networks",
                                                         resource_id=network_id)
        except NotFound:
            raise NotFound("Network not found")
        return Response({"network": _body(network)})
