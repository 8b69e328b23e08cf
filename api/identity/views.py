"""Keystone v3: version document and token issue/validate/revoke."""
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from compute_platform.identity.selectors import token_subject_get
from compute_platform.identity.services.tokens import token_authenticate, token_revoke

from ..common.links import base_url
from ..common.views import OpenStackView, PublicView
from . import schemas, serializers
from .catalog import service_catalog
from ..common.timefmt import iso_usec

DOMAIN = {"id": "default", "name": "Default"}


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


class TokensView(OpenStackView):
    project_scoped = False  # an unscoped token may validate or revoke itself
    reader_may = frozenset({"DELETE"})

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
        plaintext, token = token_authenticate(identity=auth["identity"], scope=auth.get("scope"))
        response = Response(token_body(request, token), status=201)
        response["X-Subject-Token"] = plaintext
        return response

    def _subject(self, request):
        return token_subject_get(context=self.context, plaintext=request.headers.get("X-Subject-Token"))

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
