"""Keystone v3: version document and token issue/validate/revoke."""
from django.contrib.auth import authenticate, get_user_model
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from compute_platform.compute.exceptions import ComputeError, NotFound
from compute_platform.compute.services.identity import project_for_scope, token_issue, token_revoke

from ..common.auth import token_lookup
from ..common.links import base_url
from ..common.views import OpenStackView, PublicView
from . import schemas, serializers
from .catalog import service_catalog
from ..common.timefmt import iso_usec

DOMAIN = {"id": "default", "name": "Default"}


class Unauthorized(ComputeError):
    code = 401
    fault = "error"


def token_body(request, token, catalog: bool = True) -> dict:
    body = {
        "methods": token.methods,
        "user": {"id": str(token.user_id), "name": token.user.username, "domain": DOMAIN,
                 "password_expires_at": None},
        "audit_ids": [token.audit_id],
        "expires_at": iso_usec(token.expires_at) + "Z",
        "issued_at": iso_usec(token.issued_at) + "Z",
    }
    if token.project_id:
        body.update(project={"id": token.project_id, "name": token.project.name, "domain": DOMAIN},
                    is_domain=False, roles=[{"id": r, "name": r} for r in token.roles])
        if catalog:
            body["catalog"] = service_catalog(request, token.project_id)
    return {"token": body}


def version_v3(request) -> dict:
    return {"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": f"{base_url(request)}/identity/v3/"}],
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]}


class VersionView(PublicView):
    @schemas.version_show
    def get(self, request):
        return Response({"version": version_v3(request)})


class VersionsView(PublicView):
    """/identity/ itself: Keystone answers 300 Multiple Choices with `{"versions": {"values": [...]}}`."""

    @schemas.versions_list
    def get(self, request):
        return Response({"versions": {"values": [version_v3(request)]}}, status=300)


def _domain_ok(ref: dict | None) -> bool:
    return not ref or ref.get("id") == "default" or ref.get("name") == "Default"


class TokensView(OpenStackView):
    project_scoped = False  # an unscoped token may validate or revoke itself

    def _is_post(self) -> bool:
        # The schema generator (drf-spectacular) builds this view without a request.
        return getattr(getattr(self, "request", None), "method", None) == "POST"

    def get_authenticators(self):
        # POST is how one gets a token, so it cannot require one.
        return [] if self._is_post() else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self._is_post() else super().get_permissions()

    def initial(self, request, *args, **kwargs):
        if request.method == "POST":
            return APIView.initial(self, request, *args, **kwargs)
        return super().initial(request, *args, **kwargs)

    @schemas.token_issue
    def post(self, request):
        data = serializers.AuthRequest(data=request.data)
        data.is_valid(raise_exception=True)
        auth = data.validated_data["auth"]
        identity = auth["identity"]
        if "password" in identity["methods"]:
            ref = identity["password"]["user"]
            if not _domain_ok(ref.get("domain")) and not ref.get("id"):
                raise Unauthorized("The request you have made requires authentication.")
            username = ref.get("name")
            if ref.get("id"):
                user = get_user_model().objects.filter(pk=ref["id"] if ref["id"].isdigit() else None).first()
                username = user.username if user else None
            user = authenticate(request, username=username, password=ref["password"]) if username else None
        else:
            prior = token_lookup(identity["token"]["id"])
            user = prior.user if prior else None
        if user is None or not user.is_active:
            raise Unauthorized("The request you have made requires authentication.")
        project = None
        scope = (auth.get("scope") or {}).get("project")
        if scope:
            if not scope.get("id") and not _domain_ok(scope.get("domain")):
                raise Unauthorized(f"Could not find project {scope.get('name')} in that domain.")
            try:
                project = project_for_scope(project_id=scope.get("id"), project_name=scope.get("name"))
            except NotFound as exc:
                raise Unauthorized(exc.message)
            if not project.role_assignments.filter(user=user).exists():
                raise Unauthorized(f"User {user.pk} has no access to project {project.id}")
        plaintext, token = token_issue(user=user, project=project, methods=identity["methods"])
        response = Response(token_body(request, token), status=201)
        response["X-Subject-Token"] = plaintext
        return response

    def _subject(self, request):
        token = token_lookup(request.headers.get("X-Subject-Token"))
        # Only the token's own user or an admin may see or revoke it (Keystone's token_subject rule);
        # anyone else is told it does not exist rather than shown its user, roles and project.
        if token is None or (token.user_id != request.auth.user_id and not self.context.is_admin):
            raise NotFound("Could not find token.")
        return token

    @schemas.token_validate
    def get(self, request):
        token = self._subject(request)
        # keystonemiddleware validates with ?nocatalog (Keystone: the parameter's presence is enough).
        response = Response(token_body(request, token, catalog="nocatalog" not in request.query_params))
        response["X-Subject-Token"] = request.headers["X-Subject-Token"]
        return response

    def head(self, request):
        self._subject(request)
        return Response(status=200)

    @schemas.token_revoke
    def delete(self, request):
        token_revoke(token=self._subject(request))
        return Response(status=204)
