"""OpenAPI declarations of the compute API's flavors (documentation-only serializers and one `extend_schema`
per operation, applied in flavors.py)."""
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers

from ..common.schemas import ADMIN_ONLY, UNSCOPED, Link, doc_serializer, nova_errors
from . import serializers as inputs
from .schemas import TAGS


# --- flavors ---------------------------------------------------------------------------------------

@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "enum": [""]}],
                      "description": "Swap in MB, or an empty string for none (as Nova)."})
class SwapField(serializers.Field):
    pass


class FlavorBasic(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    links = Link(many=True)


FlavorDetail = doc_serializer("FlavorDetail", {
    "ram": serializers.IntegerField(help_text="MB"),
    "disk": serializers.IntegerField(help_text="GB"),
    "vcpus": serializers.IntegerField(),
    "OS-FLV-EXT-DATA:ephemeral": serializers.IntegerField(help_text="GB"),
    "OS-FLV-DISABLED:disabled": serializers.BooleanField(),
    "swap": SwapField(),
    "rxtx_factor": serializers.FloatField(),
    "os-flavor-access:is_public": serializers.BooleanField(),
}, base=FlavorBasic)


class FlavorList(serializers.Serializer):
    flavors = FlavorBasic(many=True)


class FlavorDetailList(serializers.Serializer):
    flavors = FlavorDetail(many=True)


class FlavorResponse(serializers.Serializer):
    flavor = FlavorDetail()


FlavorCreateBody = doc_serializer("FlavorCreateBody", {
    "OS-FLV-EXT-DATA:ephemeral": serializers.IntegerField(required=False, min_value=0, default=0,
                                                          help_text="GB"),
    "os-flavor-access:is_public": serializers.BooleanField(required=False, default=True),
}, base=inputs.FlavorCreate)


class FlavorCreateRequest(serializers.Serializer):
    flavor = FlavorCreateBody()


flavor_list = extend_schema(
    operation_id="compute_flavors_list", summary="List flavors (id, name, links)", tags=TAGS,
    description="Public flavors and the private ones the caller's project has access to (admins: `is_public`). "
                "Smallest RAM first, keyset-paginated with `limit` and `marker`.",
    parameters=[OpenApiParameter("limit", int, description="Page size (capped at API_MAX_LIMIT)."),
                OpenApiParameter("marker", str, description="Id of the last flavor of the previous page."),
                OpenApiParameter("is_public", str, description="Admins: `false` only private flavors, `none` "
                                                               "all; default (and for others always) `true`.")],
    responses={200: FlavorList, **nova_errors({400: "Bad limit, unknown marker or bad is_public.",
                                               403: UNSCOPED})})

flavor_list_detail = extend_schema(
    operation_id="compute_flavors_list_detail", summary="List flavors with details",
    responses={200: FlavorDetailList, **nova_errors({400: "Bad limit or unknown marker.", 403: UNSCOPED})})

flavor_create = extend_schema(
    operation_id="compute_flavor_create", summary="Create a flavor (admin)", tags=TAGS,
    description="Answers 200, as Nova does.",
    request=FlavorCreateRequest,
    responses={200: FlavorResponse, **nova_errors({400: "Invalid body.", 403: ADMIN_ONLY,
                                                   409: "A flavor with that name or id exists."})})

flavor_show = extend_schema(
    operation_id="compute_flavor_show", summary="Show a flavor", tags=TAGS,
    responses={200: FlavorResponse, **nova_errors({403: UNSCOPED, 404: "No such flavor."})})

flavor_delete = extend_schema(
    operation_id="compute_flavor_delete", summary="Delete a flavor (admin)", tags=TAGS,
    responses={202: OpenApiResponse(description="Deleted (Nova answers 202 here). No body."),
               **nova_errors({403: ADMIN_ONLY, 404: "No such flavor."})})
