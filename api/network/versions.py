"""Neutron's version document (/network/), the v2.0 resource list, the extension list, and the quotas."""
from django.conf import settings
from rest_framework.response import Response

from compute_platform.compute.exceptions import Forbidden
from compute_platform.network import selectors
from compute_platform.network.exceptions import NeutronNotFound
from compute_platform.network.services.quotas import network_quota_reset, network_quota_update

from ..common.links import base_url
from ..common.views import OpenStackView, PublicView, body_of
from . import schemas
from .resources import RESOURCES

# The extensions whose behaviour is implemented (clients and Tempest check this list before using one).
EXTENSIONS = [
    ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
    ("security-group", "security-group", "The security groups extension."),
    ("quotas", "Quota management support", "Expose functions for quotas management per project"),
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
    ("port-security", "Port Security", "Provides port security"),
    ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
    ("standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes"),
    ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all resources."),
    ("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
    ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
    ("stateful-security-group", "Stateful security group", "Indicates if the security group is stateful or not"),
    ("quota_details", "Quota details management support", "Expose functions for quotas usage statistics per project"),
    # Unknown filters are refused (400), as Neutron's filter validation does.
    ("filter-validation", "Filter parameters validation", "Provides validation on filter parameters."),
    # `?fixed_ips=ip_address_substr=10.0.0.` lists the ports with an address containing it.
    ("ip-substring-filtering", "IP address substring filtering", "Provides IP address substring filtering "
     "when listing ports"),
    # A subnet of an external network is visible to every project and says so (its `router:external`).
    ("subnet-external-network", "Subnet belongs to an external network",
     "Informs if the subnet belongs to an external network"),
    # Tags on networks, subnets, ports, security groups and floating IPs (api/network/tags.py), and the
    # tags/tags-any/not-tags/not-tags-any filters of their lists. (Not `tag-ext`: routers and subnet pools.)
    ("tag", "Tag support", "Enables to set tag on resources."),
    ("standard-attr-tag", "Tag support for resources with standard attribute: subnet, port, floatingip, network, "
     "security_group", "Enables to set tag on resources with standard attribute."),
]


def version_v2(request) -> dict:
    return {"id": "v2.0", "status": "CURRENT",
            "links": [{"rel": "self", "href": f"{base_url(request)}/network/v2.0/"}]}


class NetworkVersionsView(PublicView):
    @schemas.versions_list
    def get(self, request):
        return Response({"versions": [version_v2(request)]})


class NetworkVersionView(PublicView):
    @schemas.version_show
    def get(self, request):
        base = f"{base_url(request)}/network/v2.0"
        return Response({"resources": [
            {"name": r.singular, "collection": r.plural,
             "links": [{"rel": "self", "href": f"{base}/{r.path}"}]} for r in RESOURCES.values()]})


def _extension_body(alias: str, name: str, description: str) -> dict:
    return {"alias": alias, "name": name, "description": description, "links": [],
            "updated": "2013-01-01T10:00:00-00:00"}


class ExtensionsView(OpenStackView):
    project_scoped = False

    @schemas.extensions_list
    def get(self, request):
        return Response({"extensions": [_extension_body(*extension) for extension in EXTENSIONS]})


class ExtensionView(OpenStackView):
    project_scoped = False

    @schemas.extension_show
    def get(self, request, alias):
        for extension in EXTENSIONS:
            if extension[0] == alias:
                return Response({"extension": _extension_body(*extension)})
        raise NeutronNotFound("Extension", alias)


class AgentsView(OpenStackView):
    """Neutron's agents (L2, DHCP, L3 ...): there are none, the compute workers run the data plane, so the
    list is empty for everyone (Neutron shows a non-admin an empty list too) and the `agent` extension is
    not advertised."""

    project_scoped = False

    @schemas.agents_list
    def get(self, request):
        return Response({"agents": []})


def _quota_body(project_id: str, limits: dict) -> dict:
    return {**limits, "project_id": project_id, "tenant_id": project_id}


class QuotaListView(OpenStackView):
    admin_only = True
    admin_policy = "get_quota"

    @schemas.quotas_list
    def get(self, request):
        return Response({"quotas": [_quota_body(p, selectors.network_quota_limits(project_id=p))
                                    for p in selectors.network_quota_projects()]})


class QuotaView(OpenStackView):
    admin_only = frozenset({"PUT", "DELETE"})
    admin_policy = "update_quota"

    def _readable(self, project_id: str) -> None:
        if not self.context.is_admin and project_id != self.context.project_id:
            raise Forbidden("(rule:get_quota) is disallowed by policy")

    @schemas.quota_show
    def get(self, request, project_id_):
        self._readable(project_id_)
        return Response({"quota": selectors.network_quota_limits(project_id=project_id_)})

    @schemas.quota_update
    def put(self, request, project_id_):
        limits = network_quota_update(project_id=project_id_, values=body_of(request, "quota"))
        return Response({"quota": limits})

    @schemas.quota_delete
    def delete(self, request, project_id_):
        network_quota_reset(project_id=project_id_)
        return Response(status=204)


class QuotaDefaultsView(OpenStackView):
    @schemas.quota_defaults
    def get(self, request, project_id_):
        return Response({"quota": dict(settings.NETWORK_QUOTA_DEFAULTS)})


class QuotaDetailsView(QuotaView):
    http_method_names = ["get", "head", "options"]

    @schemas.quota_details
    def get(self, request, project_id_):
        self._readable(project_id_)
        limits = selectors.network_quota_limits(project_id=project_id_)
        used = selectors.network_quota_usage(project_id=project_id_)
        return Response({"quota": {r: {"limit": limit, "used": used.get(r, 0), "reserved": 0}
                                   for r, limit in limits.items()}})
