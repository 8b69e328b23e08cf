"""/compute/v2.1/flavors (+ detail); create and delete are admin-only."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from oslo_utils import strutils
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.compute.services.flavor_description import flavor_set_description
from compute_platform.compute.services.flavors import flavor_create, flavor_delete

from ..common.microversions import version_at_least
from ..common.pagination import next_links, page_params
from ..common.schemas import doc_serializer, nova_errors
from ..common.views import OpenStackView, body_of
from . import flavor_schemas, serializers
from .schemas import TAGS
from .server_request_versions import validated, versioned_keys
from .view_builders import flavor_body

# Nova's flavor description: up to 65535 printable characters, or null (2.55).
FLAVOR_DESCRIPTION = {"type": ["string", "null"], "pattern": r"^[^\x00-\x1f\x7f]*$", "maxLength": 65535}
FLAVOR_KEYS = {"description": [("2.55", None, FLAVOR_DESCRIPTION)]}


def _min_filter(params, name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"Invalid {name} filter [{raw}]") from None  # Nova's words


def _is_public(raw: str | None) -> bool | None:
    """Nova's `is_public`: absent -> public only, `none` -> both, else a boolean."""
    if raw is None:
        return True
    if raw.lower() == "none":
        return None
    try:
        return strutils.bool_from_string(raw, strict=True)
    except ValueError:
        raise BadRequest(f"Invalid is_public filter [{raw}]") from None


class FlavorListView(OpenStackView):
    admin_only, admin_policy = frozenset({"POST"}), "os_compute_api:os-flavor-manage"
    detail = False

    @flavor_schemas.flavor_list
    def get(self, request):
        page, params = page_params(request), request.query_params
        flavors = selectors.flavor_list(context=self.context, limit=page.limit, marker=page.marker,
                                        min_ram=_min_filter(params, "minRam"), min_disk=_min_filter(params, "minDisk"),
                                        is_public=_is_public(params.get("is_public")))
        return Response({"flavors": [flavor_body(request, f, detail=self.detail) for f in flavors],
                         **next_links(request, "flavors_links", page=page, items=flavors,
                                      marker_of=lambda f: f.flavorid)})

    @flavor_schemas.flavor_create
    def post(self, request):
        body = body_of(request, "flavor")
        versioned_keys(request, body, FLAVOR_KEYS)  # description from 2.55
        data = serializers.FlavorCreate(data=body)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        flavor = flavor_create(name=v["name"], flavorid=v.get("id"), vcpus=v["vcpus"], memory_mb=v["ram"],
                               root_gb=v["disk"], ephemeral_gb=v["ephemeral"], swap=v["swap"],
                               rxtx_factor=v["rxtx_factor"], is_public=v["is_public"],
                               description=v.get("description"))
        return Response({"flavor": flavor_body(request, flavor)})  # Nova answers 200 here


@extend_schema_view(get=flavor_schemas.flavor_list_detail)
class FlavorDetailListView(FlavorListView):
    detail = True
    http_method_names = ["get", "head", "options"]  # /flavors/detail is read-only


class FlavorView(OpenStackView):
    admin_only, admin_policy = frozenset({"PUT", "DELETE"}), "os_compute_api:os-flavor-manage"

    @flavor_schemas.flavor_show
    def get(self, request, flavor_id):
        flavor = selectors.flavor_get(flavorid=flavor_id, context=self.context)
        return Response({"flavor": flavor_body(request, flavor)})

    @extend_schema(operation_id="compute_flavor_update", summary="Update a flavor's description (2.55, admin)",
                   tags=TAGS, request=doc_serializer("FlavorUpdateRequest", {"flavor": fields.DictField()}),
                   responses={200: doc_serializer("FlavorUpdateResponse", {"flavor": fields.DictField()}),
                              **nova_errors({400: "Not {\"flavor\": {\"description\": ...}}.",
                                             403: "Not an admin.", 404: "No such flavor, or below 2.55."})})
    def put(self, request, flavor_id):
        if not version_at_least(request, "2.55"):
            raise NotFound("The resource could not be found.")
        body = body_of(request, "flavor")
        if set(body) != {"description"}:
            raise BadRequest("Invalid input: the body must be {\"flavor\": {\"description\": ...}}")
        description = validated("description", body["description"], FLAVOR_DESCRIPTION)
        flavor = flavor_set_description(flavor=selectors.flavor_get(flavorid=flavor_id), description=description)
        return Response({"flavor": flavor_body(request, flavor)})

    @flavor_schemas.flavor_delete
    def delete(self, request, flavor_id):
        flavor_delete(flavor=selectors.flavor_get(flavorid=flavor_id))
        return Response(status=202)  # Nova answers 202 here

