"""OpenAPI plumbing shared by the services: schema class, token scheme, error shapes, version documents.

The views build their JSON by hand (see view_builders), so drf-spectacular cannot infer bodies.
The serializers here and in api/*/schemas.py are documentation only: nothing validates or renders
with them. Keys that are not Python identifiers ("OS-DCF:diskConfig", "media-types") are declared
through `doc_serializer`.
"""
import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

# The version documents are served with and without a trailing slash (/identity/v3 and /identity/v3/,
# /compute and /compute/).
_VERSION_SLASH_ALIAS = re.compile(r"/[\w-]+(/v[\d.]+)?/")

PATH_PARAMETER_DESCRIPTIONS = {
    "project_id": "Project id (legacy `/v2.1/{project_id}/...` form). Ignored: the token's project decides.",
    "server_id": "Server UUID.",
    "flavor_id": "Flavor id (a string chosen by the admin, e.g. `1` or `m1.small`).",
    "hypervisor_id": "Hypervisor id (an integer, as a string).",
    "request_id": "The request id of the action (`req-...`).",
    "image_id": "Image UUID.",
    "user_id": "User id.",
    "domain_id": "Domain id (only `default` exists).",
    "region_id": "Region id (`RegionOne`).",
}
IDENTITY_PATH_PARAMETER_DESCRIPTIONS = {"project_id": "Project id (32 hex characters)."}


class OpenStackAutoSchema(AutoSchema):
    """AutoSchema that keeps operationIds unique across URL aliases.

    Every compute route is mounted twice (`/compute/v2.1/servers` and `/compute/v2.1/{project_id}/servers`)
    and the version documents answer with and without a trailing slash. One view serves each alias, so
    the aliases get suffixed operationIds (`_by_project`, `_slash`) instead of spectacular's numerals.
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        if "{project_id}" in path and not path.startswith("/identity/"):
            operation["operationId"] += "_by_project"
        elif _VERSION_SLASH_ALIAS.fullmatch(path):
            operation["operationId"] += "_slash"
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and not parameter.get("description"):
                description = (path.startswith("/identity/")
                               and IDENTITY_PATH_PARAMETER_DESCRIPTIONS.get(parameter["name"])
                               or PATH_PARAMETER_DESCRIPTIONS.get(parameter["name"]))
                if description:
                    parameter["description"] = description
        return operation


class KeystoneTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.common.auth.KeystoneTokenAuthentication"
    name = "keystoneToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                "description": "A Keystone token: the `X-Subject-Token` header of `POST /identity/v3/auth/tokens`."}


def doc_serializer(name: str, fields: dict, base: type = serializers.Serializer) -> type:
    """A documentation-only serializer class whose field names may be any string."""
    return type(name, (base,), dict(fields))


class OpenObject(serializers.Serializer):
    """Documented fields plus free-form string properties (Glance's custom image properties)."""


class OpenObjectExtension(OpenApiSerializerExtension):
    target_class = OpenObject
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = build_basic_type(OpenApiTypes.STR)
        return schema


# --- shapes shared by the services ---------------------------------------------------------------

class Link(serializers.Serializer):
    rel = serializers.CharField(help_text="`self`, `bookmark` or `next`.")
    href = serializers.URLField()


class MediaType(serializers.Serializer):
    base = serializers.CharField()
    type = serializers.CharField()


# --- errors ----------------------------------------------------------------------------------------

class FaultDetail(serializers.Serializer):
    code = serializers.IntegerField()
    message = serializers.CharField()


class KeystoneErrorDetail(serializers.Serializer):
    code = serializers.IntegerField()
    title = serializers.CharField()
    message = serializers.CharField()


class KeystoneError(serializers.Serializer):
    """Keystone's error shape: every error under /identity, and a 401 anywhere."""

    error = KeystoneErrorDetail()


NOVA_FAULTS = {
    400: doc_serializer("BadRequestFault", {"badRequest": FaultDetail()}),
    403: doc_serializer("ForbiddenFault", {"forbidden": FaultDetail()}),
    404: doc_serializer("ItemNotFoundFault", {"itemNotFound": FaultDetail()}),
    409: doc_serializer("ConflictingRequestFault", {"conflictingRequest": FaultDetail()}),
    406: doc_serializer("NotAcceptableFault", {"HTTPNotAcceptable": FaultDetail()}),
    413: doc_serializer("OverLimitFault", {"overLimit": FaultDetail()}),
    415: doc_serializer("UnsupportedMediaTypeFault", {"HTTPUnsupportedMediaType": FaultDetail()}),
    503: doc_serializer("ServiceUnavailableFault", {"serviceUnavailable": FaultDetail()}),
}

UNAUTHORIZED = "Missing, unknown, expired or revoked `X-Auth-Token` (Keystone error shape)."
UNSCOPED = "The token is not scoped to a project."
ADMIN_ONLY = "Not an admin (policy), or the token is not scoped to a project."


def nova_errors(descriptions: dict[int, str], *, authenticated: bool = True) -> dict:
    """Error responses in Nova's fault shape (`{"itemNotFound": {"code": 404, "message": ...}}`),
    plus the Keystone-shaped 401 of an authenticated call."""
    responses = {code: OpenApiResponse(NOVA_FAULTS[code], description=text) for code, text in descriptions.items()}
    if authenticated:
        responses[401] = OpenApiResponse(KeystoneError, description=UNAUTHORIZED)
    return responses


def keystone_errors(descriptions: dict[int, str]) -> dict:
    """Error responses in Keystone's shape (`{"error": {"code": 401, "title": ..., "message": ...}}`)."""
    return {code: OpenApiResponse(KeystoneError, description=text) for code, text in descriptions.items()}



# --- version documents ----------------------------------------------------------------------------

ComputeVersion = doc_serializer("ComputeVersion", {
    "id": serializers.CharField(help_text="`v2.1`"),
    "status": serializers.CharField(help_text="`CURRENT`"),
    "version": serializers.CharField(help_text="Maximum microversion."),
    "min_version": serializers.CharField(help_text="Minimum microversion."),
    "updated": serializers.DateTimeField(),
    "links": Link(many=True),
    "media-types": MediaType(many=True),
})

IdentityVersion = doc_serializer("IdentityVersion", {
    "id": serializers.CharField(help_text="`v3.14`"),
    "status": serializers.CharField(help_text="`stable`"),
    "updated": serializers.DateTimeField(),
    "links": Link(many=True),
    "media-types": MediaType(many=True),
})

ApiVersion = doc_serializer("ApiVersion", {
    "id": serializers.CharField(),
    "status": serializers.CharField(),
    "version": serializers.CharField(required=False, help_text="Compute only."),
    "min_version": serializers.CharField(required=False, help_text="Compute only."),
    "updated": serializers.DateTimeField(),
    "links": Link(many=True),
    "media-types": MediaType(many=True),
})


class ServiceEndpoints(serializers.Serializer):
    identity = serializers.URLField()
    compute = serializers.URLField()
    image = serializers.URLField()
    admin = serializers.URLField()
    schema = serializers.URLField()


class RootDocument(serializers.Serializer):
    versions = ApiVersion(many=True)
    services = ServiceEndpoints()


root = extend_schema(
    operation_id="root", summary="Version discovery and service endpoints", tags=["discovery"],
    description="What this endpoint serves: the compute and identity version documents and the base URL "
                "of each service. No token needed.",
    responses={200: RootDocument})
