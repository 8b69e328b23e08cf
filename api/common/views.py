"""Base views: token-authenticated with the caller's context at hand, or public (version documents)."""
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.views import APIView

from compute_platform.compute.exceptions import Forbidden

from .auth import request_context
from .schemas import OpenStackAutoSchema


class JsonAlways(DefaultContentNegotiation):
    """These APIs answer JSON whatever the Accept header says, as Nova and Glance do: openstacksdk sends
    an empty `Accept` on server actions and `application/octet-stream` for image data, and DRF's strict
    negotiation answered those with a 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PublicView(APIView):
    """No token needed: version discovery."""

    authentication_classes, permission_classes = [], [AllowAny]
    content_negotiation_class = JsonAlways
    schema = OpenStackAutoSchema()


class OpenStackView(APIView):
    """The one way to require an admin: `admin_only = True` (every method) or a set of methods
    (`{"POST", "DELETE"}`); `admin_policy` names the policy in the 403, as Nova's message does."""

    content_negotiation_class = JsonAlways
    schema = OpenStackAutoSchema()
    admin_only: bool | frozenset = False
    admin_policy = "this operation"
    project_scoped = True  # compute and image calls act within the token's project
    reader_may: frozenset = frozenset()  # writes a token without `member` (a reader's, an unscoped one) may make

    def dispatch(self, request, *args, **kwargs):
        # The legacy /v2.1/{project_id}/... form carries the project in the path; the token decides.
        kwargs.pop("project_id", None)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.context = request_context(request)
        if self.project_scoped and not self.context.project_id:
            # An unscoped token has no project to act in (Nova's policies refuse it the same way);
            # without this check a boot with one failed on the project foreign key with a 500.
            raise Forbidden("This operation requires a project-scoped token.")
        if self.requires_admin(request.method) and not self.context.is_admin:
            raise Forbidden(f"Policy doesn't allow {self.admin_policy} to be performed.")
        if request.method not in {*SAFE_METHODS, *self.reader_may} and not self.context.can_write:
            self._server_visible(kwargs.get("server_id"))
            raise Forbidden(f"Policy doesn't allow {request.method} {request.path} to be performed by a reader.")

    def _server_visible(self, server_id) -> None:
        """Nova looks a server up before it checks the policy: another project's server is a 404 to a reader
        too, not a 403 that tells it the server exists."""
        if server_id is not None:
            from compute_platform.compute.selectors import instance_get

            instance_get(context=self.context, instance_uuid=server_id)

    def requires_admin(self, method: str) -> bool:
        return self.admin_only is True or method in (self.admin_only or ())


def body_of(request, key: str) -> dict:
    """The object under `key` in a JSON body ({"server": {...}}), or a 400 naming what is missing."""
    from compute_platform.compute.exceptions import BadRequest

    data = request.data
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise BadRequest(f"Invalid input: the request body must be a JSON object with a '{key}' object.")
    return data[key]
