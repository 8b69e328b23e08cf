"""Keystone v3 reads the clients make: projects, users, a user's projects, the token's projects and
catalog, the Default domain and the region. One domain (`default`) and one region exist."""
from django.conf import settings
from rest_framework.response import Response
from rest_framework.views import APIView

from compute_platform.identity import selectors as identity
from compute_platform.compute.exceptions import NotFound

from ..common.links import base_url
from ..common.views import OpenStackView
from . import schemas
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


class IdentityView(OpenStackView):
    project_scoped = False  # an unscoped token may read its user and list its projects

    def dispatch(self, request, *args, **kwargs):
        # Skip OpenStackView's dropping of `project_id` (a compute legacy-URL segment): here it is the subject.
        return APIView.dispatch(self, request, *args, **kwargs)


class ProjectListView(IdentityView):
    @schemas.project_list
    def get(self, request):
        q = request.query_params
        projects = identity.project_list(context=self.context, name=q.get("name"), domain_id=q.get("domain_id"),
                                         enabled=_truthy(q.get("enabled")))
        return Response(_collection(request, "projects", [project_body(request, p) for p in projects]))


class ProjectView(IdentityView):
    @schemas.project_show
    def get(self, request, project_id):
        project = identity.project_get(context=self.context, project_id=project_id)
        return Response({"project": project_body(request, project)})


class UserListView(IdentityView):
    @schemas.user_list
    def get(self, request):
        q = request.query_params
        users = identity.user_list(context=self.context, name=q.get("name"), domain_id=q.get("domain_id"),
                                   enabled=_truthy(q.get("enabled")))
        return Response(_collection(request, "users", [user_body(request, u) for u in users]))


class UserView(IdentityView):
    @schemas.user_show
    def get(self, request, user_id):
        return Response({"user": user_body(request, identity.user_get(context=self.context, user_id=user_id))})


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


class RoleInferenceListView(IdentityView):
    @schemas.role_inferences
    def get(self, request):
        rules = [{"prior_role": role_body(request, prior), "implies": [role_body(request, implied)]}
                 for prior, implied in identity.role_inferences(context=self.context)]
        return Response(_collection(request, "role_inferences", rules))
