"""Keystone v3 reads the clients make: projects, users, a user's projects, the token's projects and
catalog, the Default domain and the region. One domain (`default`) and one region exist."""
from django.conf import settings
from rest_framework.response import Response
from rest_framework.views import APIView

from compute_platform.identity import selectors as identity
from compute_platform.identity.services.projects import project_create, project_delete, project_update
from compute_platform.identity.services.users import user_create, user_delete, user_update
from compute_platform.compute.exceptions import NotFound

from ..common.links import base_url
from ..common.views import OpenStackView, body_of
from . import schemas, serializers
from .catalog import regions, service_catalog

DEFAULT_DOMAIN = {"id": "default", "name": "Default", "description": "The default domain", "enabled": True,
                  "tags": [], "options": {}}


def _v3(request) -> str:
    return f"{base_url(request)}/identity/v3"


def _collection(request, key: str, items: list[dict]) -> dict:
    return {key: items, "links": {"self": request.build_absolute_uri(), "previous": None, "next": None}}


def _truthy(value: str | None) -> bool | None:
    return None if value is None else value.lower() in ("1", "true", "yes", "on")


def project_body(request, project) -> dict:
    return {"id": project.id, "name": project.name, "description": project.description,
            "domain_id": project.domain_id, "parent_id": project.domain_id, "enabled": project.enabled,
            "is_domain": False, "tags": [], "options": {},
            "links": {"self": f"{_v3(request)}/projects/{project.id}"}}


def user_body(request, user) -> dict:
    body = {"id": str(user.pk), "name": user.username, "domain_id": "default", "enabled": user.is_active,
            "password_expires_at": None, "options": {}, "links": {"self": f"{_v3(request)}/users/{user.pk}"}}
    if user.email:
        body["email"] = user.email
    return body


def domain_body(request) -> dict:
    return {**DEFAULT_DOMAIN, "links": {"self": f"{_v3(request)}/domains/default"}}


def _valid(request, key: str, serializer_class) -> dict:
    data = serializer_class(data=body_of(request, key))
    data.is_valid(raise_exception=True)
    return data.validated_data


class IdentityView(OpenStackView):
    project_scoped = False  # an unscoped token may read its user and list its projects
    # Keystone's default policies: the admin API's writes (and grant reads) are for admins; the 403 names the
    # policy.
    admin_policies: dict[str, str] = {}

    def requires_admin(self, method: str) -> bool:
        return method in self.admin_policies

    @property
    def admin_policy(self) -> str:
        return self.admin_policies.get(self.request.method, "this operation")

    def dispatch(self, request, *args, **kwargs):
        # Skip OpenStackView's dropping of `project_id` (a compute legacy-URL segment): here it is the subject.
        return APIView.dispatch(self, request, *args, **kwargs)


class ProjectListView(IdentityView):
    admin_policies = {"POST": "identity:create_project"}

    @schemas.project_create
    def post(self, request):
        project = project_create(**_valid(request, "project", serializers.ProjectCreate))
        return Response({"project": project_body(request, project)}, status=201)

    @schemas.project_list
    def get(self, request):
        q = request.query_params
        projects = identity.project_list(context=self.context, name=q.get("name"), domain_id=q.get("domain_id"),
                                         enabled=_truthy(q.get("enabled")))
        return Response(_collection(request, "projects", [project_body(request, p) for p in projects]))


class ProjectView(IdentityView):
    admin_policies = {"PATCH": "identity:update_project", "DELETE": "identity:delete_project"}

    @schemas.project_show
    def get(self, request, project_id):
        project = identity.project_get(context=self.context, project_id=project_id)
        return Response({"project": project_body(request, project)})

    @schemas.project_update
    def patch(self, request, project_id):
        fields = _valid(request, "project", serializers.ProjectUpdate)
        project = project_update(project=identity.project_get(context=self.context, project_id=project_id),
                                 **fields)
        return Response({"project": project_body(request, project)})

    @schemas.project_delete
    def delete(self, request, project_id):
        project_delete(project=identity.project_get(context=self.context, project_id=project_id))
        return Response(status=204)


class UserListView(IdentityView):
    admin_policies = {"POST": "identity:create_user"}

    @schemas.user_create
    def post(self, request):
        user = user_create(**_valid(request, "user", serializers.UserCreate))
        return Response({"user": user_body(request, user)}, status=201)

    @schemas.user_list
    def get(self, request):
        q = request.query_params
        users = identity.user_list(context=self.context, name=q.get("name"), domain_id=q.get("domain_id"),
                                   enabled=_truthy(q.get("enabled")))
        return Response(_collection(request, "users", [user_body(request, u) for u in users]))


class UserView(IdentityView):
    admin_policies = {"PATCH": "identity:update_user", "DELETE": "identity:delete_user"}

    @schemas.user_show
    def get(self, request, user_id):
        return Response({"user": user_body(request, identity.user_get(context=self.context, user_id=user_id))})

    @schemas.user_update
    def patch(self, request, user_id):
        fields = _valid(request, "user", serializers.UserUpdate)
        user = user_update(user=identity.user_get(context=self.context, user_id=user_id), **fields)
        return Response({"user": user_body(request, user)})

    @schemas.user_delete
    def delete(self, request, user_id):
        user_delete(user=identity.user_get(context=self.context, user_id=user_id))
        return Response(status=204)


class UserProjectListView(IdentityView):
    @schemas.user_projects
    def get(self, request, user_id):
        projects = identity.projects_of_user(context=self.context, user_id=user_id)
        return Response(_collection(request, "projects", [project_body(request, p) for p in projects]))


class AuthProjectListView(IdentityView):
    """The projects the token's user may scope to (what `openstack project list --my-projects` and
    Horizon-style project pickers call with an unscoped token)."""

    @schemas.auth_projects
    def get(self, request):
        projects = identity.projects_of_user(context=self.context, user_id=str(self.context.user_id),
                                             enabled_only=True)
        return Response(_collection(request, "projects", [project_body(request, p) for p in projects]))


class AuthDomainListView(IdentityView):
    @schemas.auth_domains
    def get(self, request):
        return Response(_collection(request, "domains", [domain_body(request)]))


class AuthCatalogView(IdentityView):
    @schemas.auth_catalog
    def get(self, request):
        if not self.context.project_id:
            raise NotFound("Could not find catalog: an unscoped token has no catalog.")
        return Response(_collection(request, "catalog", service_catalog(request, self.context.project_id)))


class DomainListView(IdentityView):
    @schemas.domain_list
    def get(self, request):
        name = request.query_params.get("name")
        domains = [domain_body(request)] if name in (None, "Default") else []
        return Response(_collection(request, "domains", domains))


class DomainView(IdentityView):
    @schemas.domain_show
    def get(self, request, domain_id):
        if domain_id != "default":
            raise NotFound(f"Could not find domain: {domain_id}.")
        return Response({"domain": domain_body(request)})


def region_body(request, region: str) -> dict:
    return {"id": region, "description": "", "parent_region_id": None,
            "links": {"self": f"{_v3(request)}/regions/{region}"}}


class RegionListView(IdentityView):
    @schemas.region_list
    def get(self, request):
        return Response(_collection(request, "regions", [region_body(request, r) for r in regions()]))


class RegionView(IdentityView):
    @schemas.region_show
    def get(self, request, region_id):
        if region_id != settings.REGION_NAME:
            raise NotFound(f"Could not find region: {region_id}.")
        return Response({"region": region_body(request, region_id)})


def role_body(request, name: str) -> dict:
    # Roles have no ids of their own here: the name is the id (tokens list them the same way).
    return {"id": name, "name": name, "links": {"self": f"{_v3(request)}/roles/{name}"}}


class RoleListView(IdentityView):
    @schemas.role_list
    def get(self, request):
        return Response(_collection(request, "roles", [role_body(request, r)
                                                       for r in identity.role_list(context=self.context)]))


class RoleView(IdentityView):
    @schemas.role_show
    def get(self, request, role_id):
        return Response({"role": role_body(request, identity.role_get(context=self.context, role_id=role_id))})


class RoleInferenceListView(IdentityView):
    @schemas.role_inferences
    def get(self, request):
        rules = [{"prior_role": role_body(request, prior), "implies": [role_body(request, implied)]}
                 for prior, implied in identity.role_inferences(context=self.context)]
        return Response(_collection(request, "role_inferences", rules))
