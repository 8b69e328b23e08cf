"""OpenAPI declarations of the identity API (Keystone v3 subset): the token body of views.token_body
(documentation only) and one `extend_schema` per operation, applied in the views."""
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from ..common.schemas import IdentityVersion, keystone_errors
from .serializers import AuthRequest

TAGS = ["identity"]


class TokenDomain(serializers.Serializer):
    id = serializers.CharField(help_text="`default`")
    name = serializers.CharField(help_text="`Default`")


class TokenUser(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    domain = TokenDomain()
    password_expires_at = serializers.DateTimeField(allow_null=True, help_text="Always null.")


class TokenProject(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    domain = TokenDomain()


class TokenRole(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class CatalogEndpoint(serializers.Serializer):
    id = serializers.CharField()
    interface = serializers.CharField(help_text="`public`, `internal` or `admin`.")
    region = serializers.CharField()
    region_id = serializers.CharField()
    url = serializers.URLField()


class CatalogEntry(serializers.Serializer):
    type = serializers.CharField(help_text="`identity`, `compute` or `image`.")
    name = serializers.CharField()
    id = serializers.CharField()
    endpoints = CatalogEndpoint(many=True)


class Token(serializers.Serializer):
    methods = serializers.ListField(child=serializers.CharField())
    user = TokenUser()
    audit_ids = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField()
    project = TokenProject(required=False, help_text="Project-scoped tokens only.")
    is_domain = serializers.BooleanField(required=False, help_text="Project-scoped tokens only.")
    roles = TokenRole(many=True, required=False, help_text="Project-scoped tokens only.")
    catalog = CatalogEntry(many=True, required=False, help_text="Project-scoped tokens only.")


class TokenResponse(serializers.Serializer):
    token = Token()


class IdentityVersionResponse(serializers.Serializer):
    version = IdentityVersion()


class IdentityVersionValues(serializers.Serializer):
    values = IdentityVersion(many=True)


class IdentityVersionsResponse(serializers.Serializer):
    versions = IdentityVersionValues()


SUBJECT_TOKEN_RESPONSE = "The token itself (only its hash is stored)."
SUBJECT_TOKEN_REQUEST = OpenApiParameter("X-Subject-Token", str, OpenApiParameter.HEADER, required=True,
                                         description="The token to validate or revoke.")
UNAUTHORIZED = "Missing, unknown, expired or revoked `X-Auth-Token`."
NOT_FOUND = "The subject token is unknown, expired or revoked, or belongs to another user (non-admins)."

version_show = extend_schema(
    operation_id="identity_version_show", summary="Show the v3 version document", tags=TAGS,
    responses={200: IdentityVersionResponse})

versions_list = extend_schema(
    operation_id="identity_versions_list", summary="List identity API versions (300 Multiple Choices)",
    tags=TAGS, responses={300: IdentityVersionsResponse})

token_issue = extend_schema(
    operation_id="identity_token_issue", summary="Issue a token (password or token method)", tags=TAGS,
    description="No `X-Auth-Token` needed. Scope to a project with `auth.scope.project` (id, or name in the "
                "`Default` domain) to get roles and the service catalog.",
    request=AuthRequest,
    parameters=[OpenApiParameter("X-Subject-Token", str, OpenApiParameter.HEADER, response=[201],
                                 description=SUBJECT_TOKEN_RESPONSE)],
    responses={201: TokenResponse,
               **keystone_errors({400: "Invalid body.",
                                  401: "Wrong credentials, disabled user, or no access to the project."})})

token_validate = extend_schema(
    operation_id="identity_token_validate", summary="Validate a token", tags=TAGS,
    description="`HEAD` answers the same status without a body.",
    parameters=[SUBJECT_TOKEN_REQUEST,
                OpenApiParameter("X-Subject-Token", str, OpenApiParameter.HEADER, response=[200],
                                 description="Echo of the validated token.")],
    responses={200: TokenResponse, **keystone_errors({401: UNAUTHORIZED, 404: NOT_FOUND})})

token_revoke = extend_schema(
    operation_id="identity_token_revoke", summary="Revoke a token", tags=TAGS,
    parameters=[SUBJECT_TOKEN_REQUEST],
    responses={204: OpenApiResponse(description="Revoked. No body."),
               **keystone_errors({401: UNAUTHORIZED, 404: NOT_FOUND})})
