"""OpenAPI declarations of the network API (Neutron v2.0): one documented view class per resource and
operation, made from the declarations in resources.py. Bodies are documented as objects under their key
(Neutron's api-ref describes every attribute; view_builders.py builds them)."""
import functools

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers

from ..common.schemas import KeystoneError, UNAUTHORIZED, doc_serializer

TAGS = ["network"]


class NeutronErrorDetail(serializers.Serializer):
    type = serializers.CharField(help_text="Neutron's error type: `NetworkNotFound`, `OverQuota`, `InvalidInput` ...")
    message = serializers.CharField()
    detail = serializers.CharField()


class NeutronError(serializers.Serializer):
    NeutronError = NeutronErrorDetail()


def neutron_errors(descriptions: dict[int, str]) -> dict:
    responses = {code: OpenApiResponse(NeutronError, description=text) for code, text in descriptions.items()}
    responses[401] = OpenApiResponse(KeystoneError, description=UNAUTHORIZED)
    return responses


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


LIST_PARAMETERS = [
    OpenApiParameter("fields", OpenApiTypes.STR, many=True, description="Attributes to return (repeatable)."),
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size; with it, `<resources>_links` pages on."),
    OpenApiParameter("marker", OpenApiTypes.UUID, description="The last id of the previous page."),
    OpenApiParameter("page_reverse", OpenApiTypes.BOOL, description="Page backwards from the marker."),
    OpenApiParameter("id", OpenApiTypes.STR, many=True, description="Filter: any attribute filters the list "
                                                                   "(repeat it for alternatives)."),
    OpenApiParameter("name", OpenApiTypes.STR, description="Filter by name."),
    OpenApiParameter("project_id", OpenApiTypes.STR, description="Filter by project."),
]


@functools.cache
def _bodies(resource):
    """(one, many, request) documentation serializers of a resource, made once (names are components)."""
    name = _camel(resource.singular)
    one = doc_serializer(f"Network{name}Body", {resource.singular: serializers.DictField(
        help_text=f"The {resource.label}, as Neutron shows it.")})
    many = doc_serializer(f"Network{name}List", {
        resource.plural: serializers.ListField(child=serializers.DictField()),
        f"{resource.plural}_links": serializers.ListField(child=serializers.DictField(), required=False)})
    request = doc_serializer(f"Network{name}Request", {resource.singular: serializers.DictField(
        help_text=f"The {resource.label}'s attributes.")})
    return one, many, request


def documented(view_class, resource, *, item: bool):
    """A subclass of `view_class` serving `resource`, with its operations documented."""
    name = _camel(resource.singular)
    one, many, request = _bodies(resource)
    op = f"network_{resource.singular}"
    label = resource.label
    if item:
        schemas = {
            "get": extend_schema(operation_id=f"{op}_show", summary=f"Show a {label}", tags=TAGS,
                                 parameters=[OpenApiParameter("fields", OpenApiTypes.STR, many=True)],
                                 responses={200: one, **neutron_errors({404: f"No such {label} visible."})}),
            "delete": extend_schema(operation_id=f"{op}_delete", summary=f"Delete a {label}", tags=TAGS,
                                    responses={204: None, **neutron_errors({404: f"No such {label} of yours.",
                                                                            409: "In use."})}),
        }
        if resource.update is not None:
            schemas["put"] = extend_schema(operation_id=f"{op}_update", summary=f"Update a {label}", tags=TAGS,
                                           request=request, responses={200: one, **neutron_errors({
                                               400: "Invalid input.", 404: f"No such {label} of yours.",
                                               409: "Conflict."})})
    else:
        schemas = {
            "get": extend_schema(operation_id=f"{op}_list", summary=f"List {resource.plural.replace('_', ' ')}",
                                 tags=TAGS, parameters=LIST_PARAMETERS,
                                 responses={200: many, **neutron_errors({400: "Invalid filter or paging.",
                                                                         404: "Marker not found."})}),
            "post": extend_schema(operation_id=f"{op}_create", summary=f"Create a {label}", tags=TAGS,
                                  description=f"A body with a list under `{resource.plural}` creates them all "
                                              "in one transaction (Neutron's bulk create): all or none, "
                                              f"answered as a list under `{resource.plural}`.",
                                  request=request, responses={201: one, **neutron_errors({
                                      400: "Invalid input.", 403: "Not allowed by policy.",
                                      404: "A referenced resource does not exist.",
                                      409: "Over quota, address or MAC in use, no free address."})}),
        }
    methods = ["get", "head", "options", *[m for m in schemas if m != "get"]]
    cls = type(f"{name}{'Item' if item else 'Collection'}View", (view_class,),
               {"resource_path": resource.path, "http_method_names": methods})
    return extend_schema_view(**schemas)(cls)


TagsDoc = doc_serializer("NetworkTags", {"tags": serializers.ListField(child=serializers.CharField(max_length=255))})


def documented_tags(view_class, resource, *, item: bool):
    """A subclass of tags.TagsView (`item` False) or tags.TagView serving `resource`'s tags, documented."""
    op, label = f"network_{resource.singular}_tag", resource.label
    missing = f"No such {label} visible (for a write: of yours)."
    if item:
        schemas = {
            "get": extend_schema(operation_id=f"{op}_check", summary=f"Confirm a tag of a {label}", tags=TAGS,
                                 responses={204: None, **neutron_errors({
                                     400: "Invalid tag.", 404: f"{missing} Or no such tag on it."})}),
            "put": extend_schema(operation_id=f"{op}_add", summary=f"Add a tag to a {label}", tags=TAGS,
                                 request=OpenApiTypes.OBJECT,
                                 description="Idempotent: a tag already there stays. The body, if any, is ignored.",
                                 responses={201: None, **neutron_errors({400: "Invalid tag.", 404: missing})}),
            "delete": extend_schema(operation_id=f"{op}_remove", summary=f"Remove a tag of a {label}", tags=TAGS,
                                    responses={204: None, **neutron_errors({
                                        400: "Invalid tag.", 404: f"{missing} Or no such tag on it."})}),
        }
    else:
        schemas = {
            "get": extend_schema(operation_id=f"{op}s_list", summary=f"List the tags of a {label}", tags=TAGS,
                                 responses={200: TagsDoc, **neutron_errors({404: missing})}),
            "put": extend_schema(operation_id=f"{op}s_replace", summary=f"Replace all tags of a {label}",
                                 tags=TAGS, request=TagsDoc, responses={200: TagsDoc, **neutron_errors({
                                     400: "Not a list of unique strings of at most 255 characters.",
                                     404: missing})}),
            "delete": extend_schema(operation_id=f"{op}s_clear", summary=f"Remove all tags of a {label}",
                                    tags=TAGS, responses={204: None, **neutron_errors({404: missing})}),
        }
    cls = type(f"{_camel(resource.singular)}Tag{'' if item else 's'}View", (view_class,),
               {"resource_path": resource.path, "http_method_names": ["get", "put", "delete", "head", "options"]})
    return extend_schema_view(**schemas)(cls)


# --- versions and quotas ------------------------------------------------------------------------------

NetworkVersionsDoc = doc_serializer("NetworkVersions", {"versions": serializers.ListField(
    child=serializers.DictField())})
NetworkResourcesDoc = doc_serializer("NetworkResources", {"resources": serializers.ListField(
    child=serializers.DictField())})
ExtensionsDoc = doc_serializer("NetworkExtensions", {"extensions": serializers.ListField(
    child=serializers.DictField())})
QuotaDoc = doc_serializer("NetworkQuota", {"quota": serializers.DictField(child=serializers.JSONField())})
QuotasDoc = doc_serializer("NetworkQuotas", {"quotas": serializers.ListField(child=serializers.DictField())})
QuotaRequestDoc = doc_serializer("NetworkQuotaRequest", {"quota": serializers.DictField(
    child=serializers.IntegerField(), help_text="network, subnet, port, security_group, security_group_rule, "
                                                "floatingip: limits (-1 unlimited).")})

versions_list = extend_schema(operation_id="network_versions", summary="Network API versions", tags=TAGS,
                              auth=[], responses={200: NetworkVersionsDoc})
version_show = extend_schema(operation_id="network_version_v2", summary="Network API v2.0 resources", tags=TAGS,
                             auth=[], responses={200: NetworkResourcesDoc})
extensions_list = extend_schema(operation_id="network_extensions", summary="Network API extensions", tags=TAGS,
                                responses={200: ExtensionsDoc, **neutron_errors({})})
ExtensionDoc = doc_serializer("NetworkExtension", {"extension": serializers.DictField()})
AgentsDoc = doc_serializer("NetworkAgents", {"agents": serializers.ListField(child=serializers.DictField())})
extension_show = extend_schema(operation_id="network_extension_show", summary="Show a network API extension",
                               tags=TAGS, responses={200: ExtensionDoc, **neutron_errors({404: "Not offered."})})
agents_list = extend_schema(operation_id="network_agents_list", summary="Network agents (none: compute workers "
                            "run the data plane)", tags=TAGS, responses={200: AgentsDoc, **neutron_errors({})})
quotas_list = extend_schema(operation_id="network_quotas_list", summary="Projects with network quotas set",
                            tags=TAGS, responses={200: QuotasDoc, **neutron_errors({403: "Admins only."})})
quota_show = extend_schema(operation_id="network_quota_show", summary="A project's network quotas", tags=TAGS,
                           responses={200: QuotaDoc, **neutron_errors({403: "Another project's, not an admin."})})
quota_update = extend_schema(operation_id="network_quota_update", summary="Set a project's network quotas",
                             tags=TAGS, request=QuotaRequestDoc,
                             responses={200: QuotaDoc, **neutron_errors({400: "Invalid quota.", 403: "Admins only.",
                                                                         404: "No such project."})})
quota_delete = extend_schema(operation_id="network_quota_delete", summary="Revert a project's network quotas",
                             tags=TAGS, responses={204: None, **neutron_errors({403: "Admins only."})})
quota_defaults = extend_schema(operation_id="network_quota_defaults", summary="Default network quotas",
                               tags=TAGS, responses={200: QuotaDoc, **neutron_errors({})})
quota_details = extend_schema(operation_id="network_quota_details", summary="A project's network quotas and usage",
                              tags=TAGS, responses={200: QuotaDoc, **neutron_errors({403: "Another project's, "
                                                                                          "not an admin."})})
