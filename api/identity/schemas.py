"""OpenAPI declarations of the identity API (Keystone v3 subset): the token body of views.token_body
(documentation only) and one `extend_schema` per operation, applied in the views."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from ..common.schemas import IdentityVersion, keystone_errors
from .serializers import AuthRequest, ProjectCreate, ProjectUpdate, UserCreate, UserUpdate

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


# --- projects, users, domains, regions (reads) -----------------------------------------------------

class CollectionLinks(serializers.Serializer):
    self = serializers.URLField()
    previous = serializers.URLField(allow_null=True, help_text="Always null: one page.")
    next = serializers.URLField(allow_null=True, help_text="Always null: one page.")


class SelfLink(serializers.Serializer):
    self = serializers.URLField()


class Project(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    domain_id = serializers.CharField(help_text="`default`")
    parent_id = serializers.CharField(help_text="The domain, `default`.")
    enabled = serializers.BooleanField()
    is_domain = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    options = serializers.DictField()
    links = SelfLink()


class User(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    domain_id = serializers.CharField(help_text="`default`")
    enabled = serializers.BooleanField()
    email = serializers.CharField(required=False)
    password_expires_at = serializers.DateTimeField(allow_null=True, help_text="Always null.")
    options = serializers.DictField()
    links = SelfLink()


class Domain(serializers.Serializer):
    id = serializers.CharField(help_text="`default`")
    name = serializers.CharField(help_text="`Default`")
    description = serializers.CharField()
    enabled = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    options = serializers.DictField()
    links = SelfLink()


class Region(serializers.Serializer):
    id = serializers.CharField(help_text="`RegionOne` (REGION_NAME)")
    description = serializers.CharField(allow_blank=True)
    parent_region_id = serializers.CharField(allow_null=True)
    links = SelfLink()


def _list(name: str, key: str, item) -> type:
    return type(name, (serializers.Serializer,), {key: item(many=True), "links": CollectionLinks()})


def _one(name: str, key: str, item) -> type:
    return type(name, (serializers.Serializer,), {key: item()})


ProjectList, ProjectShow = _list("ProjectList", "projects", Project), _one("ProjectShow", "project", Project)
class Role(serializers.Serializer):
    id = serializers.CharField(help_text="The role's name: reader, member, manager or admin.")
    name = serializers.CharField()
    links = SelfLink()


class RoleInference(serializers.Serializer):
    prior_role = Role()
    implies = Role(many=True)


RoleList = _list("RoleList", "roles", Role)
RoleInferenceList = _list("RoleInferenceList", "role_inferences", RoleInference)
UserList, UserShow = _list("UserList", "users", User), _one("UserShow", "user", User)
DomainList, DomainShow = _list("DomainList", "domains", Domain), _one("DomainShow", "domain", Domain)
RegionList, RegionShow = _list("RegionList", "regions", Region), _one("RegionShow", "region", Region)
CatalogList = _list("CatalogList", "catalog", CatalogEntry)

ADMIN_ONLY = "Not an admin (identity:list_* policy)."
FILTERS = [OpenApiParameter("name", str, description="Exact name."),
           OpenApiParameter("domain_id", str, description="Only `default` exists."),
           OpenApiParameter("enabled", bool)]

project_list = extend_schema(
    operation_id="identity_projects_list", summary="List projects (admin)", tags=TAGS, parameters=FILTERS,
    responses={200: ProjectList, **keystone_errors({401: UNAUTHORIZED, 403: ADMIN_ONLY})})
project_show = extend_schema(
    operation_id="identity_project_show", summary="Show a project", tags=TAGS,
    description="Admins see any project; others the projects they hold a role on.",
    responses={200: ProjectShow, **keystone_errors({401: UNAUTHORIZED, 404: "Unknown or not yours."})})
user_list = extend_schema(
    operation_id="identity_users_list", summary="List users (admin)", tags=TAGS, parameters=FILTERS,
    responses={200: UserList, **keystone_errors({401: UNAUTHORIZED, 403: ADMIN_ONLY})})
user_show = extend_schema(
    operation_id="identity_user_show", summary="Show a user", tags=TAGS,
    description="Admins see any user; others only themselves.",
    responses={200: UserShow, **keystone_errors({401: UNAUTHORIZED, 404: "Unknown, or another user."})})
user_projects = extend_schema(
    operation_id="identity_user_projects_list", summary="List the projects a user has a role on", tags=TAGS,
    responses={200: ProjectList, **keystone_errors({401: UNAUTHORIZED, 404: "Unknown, or another user."})})
auth_projects = extend_schema(
    operation_id="identity_auth_projects_list", summary="List the projects the token's user may scope to",
    tags=TAGS, responses={200: ProjectList, **keystone_errors({401: UNAUTHORIZED})})
auth_domains = extend_schema(
    operation_id="identity_auth_domains_list", summary="List the domains the token's user may scope to",
    tags=TAGS, responses={200: DomainList, **keystone_errors({401: UNAUTHORIZED})})
auth_catalog = extend_schema(
    operation_id="identity_auth_catalog_show", summary="Show the token's service catalog", tags=TAGS,
    responses={200: CatalogList, **keystone_errors({401: UNAUTHORIZED, 404: "The token is unscoped."})})
domain_list = extend_schema(
    operation_id="identity_domains_list", summary="List domains (only Default)", tags=TAGS,
    parameters=[OpenApiParameter("name", str, description="Exact name.")],
    responses={200: DomainList, **keystone_errors({401: UNAUTHORIZED})})
domain_show = extend_schema(
    operation_id="identity_domain_show", summary="Show a domain", tags=TAGS,
    responses={200: DomainShow, **keystone_errors({401: UNAUTHORIZED, 404: "Not `default`."})})
region_list = extend_schema(
    operation_id="identity_regions_list", summary="List regions", tags=TAGS,
    responses={200: RegionList, **keystone_errors({401: UNAUTHORIZED})})
region_show = extend_schema(
    operation_id="identity_region_show", summary="Show a region", tags=TAGS,
    responses={200: RegionShow, **keystone_errors({401: UNAUTHORIZED, 404: "Unknown region."})})
role_list = extend_schema(
    operation_id="identity_roles_list", summary="List roles (Keystone's defaults)", tags=TAGS,
    responses={200: RoleList, **keystone_errors({401: UNAUTHORIZED, 403: "Not an admin."})})
role_inferences = extend_schema(
    operation_id="identity_role_inferences_list", summary="List implied roles (admin > manager > member > reader)",
    tags=TAGS, responses={200: RoleInferenceList, **keystone_errors({401: UNAUTHORIZED, 403: "Not an admin."})})


# --- the admin API's writes, grants and role assignments (admins only) ------------------------------

class RoleAssignmentRef(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField(required=False, help_text="With `?include_names`.")


class RoleAssignment(serializers.Serializer):
    role = RoleAssignmentRef()
    user = serializers.DictField(help_text="`{id}`; with `?include_names` also `name` and `domain`.")
    scope = serializers.DictField(help_text="`{project: {id}}`; with `?include_names` also its `name`, `domain`.")
    links = serializers.DictField(help_text="`assignment`: the grant's URL.")


RoleShow = _one("RoleShow", "role", Role)
RoleAssignmentList = _list("RoleAssignmentList", "role_assignments", RoleAssignment)
WRITE_ERRORS = {400: "Invalid body, or a domain other than `default`.", 401: UNAUTHORIZED, 403: "Not an admin."}
NO_BODY = OpenApiResponse(description="Done. No body.")



def _wrapped(name: str, key: str, item) -> type:
    return type(name, (serializers.Serializer,), {key: item()})


project_create = extend_schema(
    operation_id="identity_project_create", summary="Create a project (admin)", tags=TAGS,
    request=_wrapped("ProjectCreateRequest", "project", ProjectCreate),
    responses={201: ProjectShow, **keystone_errors({**WRITE_ERRORS, 409: "The name is taken."})})
project_update = extend_schema(
    operation_id="identity_project_update", summary="Update a project (admin)", tags=TAGS,
    description="Disabling a project revokes its tokens.",
    request=_wrapped("ProjectUpdateRequest", "project", ProjectUpdate),
    responses={200: ProjectShow, **keystone_errors({**WRITE_ERRORS, 404: "Unknown project.",
                                                    409: "The name is taken."})})
project_delete = extend_schema(
    operation_id="identity_project_delete", summary="Delete a project (admin)", tags=TAGS,
    description="As Keystone: the project, its role assignments and tokens are gone; its servers, volumes and "
                "networks stay for an admin to clean up.",
    responses={204: NO_BODY, **keystone_errors({401: UNAUTHORIZED, 403: "Not an admin.", 404: "Unknown project."})})
user_create = extend_schema(
    operation_id="identity_user_create", summary="Create a user (admin)", tags=TAGS,
    description="The user holds no role until one is granted on a project.",
    request=_wrapped("UserCreateRequest", "user", UserCreate),
    responses={201: UserShow, **keystone_errors({**WRITE_ERRORS, 409: "The name is taken."})})
user_update = extend_schema(
    operation_id="identity_user_update", summary="Update a user (admin)", tags=TAGS,
    description="A new password or disabling the user revokes its tokens.",
    request=_wrapped("UserUpdateRequest", "user", UserUpdate),
    responses={200: UserShow, **keystone_errors({**WRITE_ERRORS, 404: "Unknown user.", 409: "The name is taken."})})
user_delete = extend_schema(
    operation_id="identity_user_delete", summary="Delete a user (admin)", tags=TAGS,
    description="The user can no longer authenticate and its name is free; what it created stays.",
    responses={204: NO_BODY, **keystone_errors({401: UNAUTHORIZED, 403: "Not an admin.", 404: "Unknown user."})})
role_show = extend_schema(
    operation_id="identity_role_show", summary="Show a role (admin)", tags=TAGS,
    responses={200: RoleShow, **keystone_errors({401: UNAUTHORIZED, 403: "Not an admin.", 404: "Unknown role."})})
grant_list = extend_schema(
    operation_id="identity_project_user_roles_list", summary="List a user's roles on a project (admin)",
    tags=TAGS, responses={200: RoleList, **keystone_errors({401: UNAUTHORIZED, 403: "Not an admin.",
                                                             404: "Unknown project or user."})})
GRANT_ERRORS = {401: UNAUTHORIZED, 403: "Not an admin.", 404: "Unknown project, user or role."}
grant_create = extend_schema(
    operation_id="identity_project_user_role_grant", summary="Grant a user a role on a project (admin)",
    tags=TAGS, description="No body (one is ignored). Granting a role the user holds "
                                 "already answers 204 again.", request=OpenApiTypes.OBJECT,
    responses={204: NO_BODY, **keystone_errors(GRANT_ERRORS)})
grant_check = extend_schema(
    operation_id="identity_project_user_role_check", summary="Check a user's role on a project (admin)",
    tags=TAGS, description="`HEAD` answers the same.",
    responses={204: NO_BODY, **keystone_errors({**GRANT_ERRORS, 404: "Unknown, or not assigned."})})
grant_revoke = extend_schema(
    operation_id="identity_project_user_role_revoke", summary="Revoke a user's role on a project (admin)",
    tags=TAGS, description="The user's tokens scoped to the project are revoked.",
    responses={204: NO_BODY, **keystone_errors({**GRANT_ERRORS, 404: "Unknown, or not assigned."})})
role_assignment_list = extend_schema(
    operation_id="identity_role_assignments_list", summary="List role assignments (admin)", tags=TAGS,
    parameters=[OpenApiParameter("user.id", str), OpenApiParameter("scope.project.id", str),
                OpenApiParameter("role.id", str),
                OpenApiParameter("effective", bool, description="Add the implied roles (present = true)."),
                OpenApiParameter("include_names", bool, description="Add names (present = true).")],
    responses={200: RoleAssignmentList, **keystone_errors({401: UNAUTHORIZED, 403: "Not an admin."})})
