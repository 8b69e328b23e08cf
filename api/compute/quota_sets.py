"""/compute/v2.1/os-quota-sets/{tenant_id}: show, update (admin), revert (admin), defaults, detail (usage).

Microversion 2.1 shape: the network quotas (floating_ips, fixed_ips, security_groups,
security_group_rules) are shown as -1 because this platform has no networking to limit; the
injected_* ones are limits on a boot request's personality files."""
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest, Forbidden
from compute_platform.compute.services.quotas import (QUOTA_RESOURCES, quota_defaults, quota_limits,
                                                      quota_require_project, quota_set_delete, quota_set_update,
                                                      quota_usage, quota_user_limits, quota_user_set_delete,
                                                      quota_user_set_update, quota_user_usage)

from ..common.schemas import UNSCOPED, doc_serializer, nova_errors
from ..common.views import OpenStackView, body_of
from .quota_versions import QUOTA_REMOVED, removed_keys, without_removed

TAGS = ["compute"]
UNLIMITED_NETWORK = ("fixed_ips", "floating_ips", "security_group_rules", "security_groups")
MAX_INT = 2**31 - 1


def _quota_set(limits: dict, project_id: str | None = None) -> dict:
    body = {"id": project_id} if project_id is not None else {}
    body.update({k: -1 for k in UNLIMITED_NETWORK})
    body.update(limits)
    return body


def _parse_limit(resource: str, value) -> int:
    # Nova accepts integers and integer strings.
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadRequest(f"Invalid input for field/attribute {resource}. Value: {value}. must be an integer")
    try:
        limit = int(value)
    except ValueError:
        raise BadRequest(f"Invalid input for field/attribute {resource}. Value: {value}. must be an integer")
    if not -1 <= limit <= MAX_INT:
        raise BadRequest(f"Invalid input for field/attribute {resource}. Value: {value}. must be between -1 and "
                         f"{MAX_INT}")
    return limit


class QuotaSetView(OpenStackView):
    """The project in the path; updates are for admins, and members may read their own project's only."""

    admin_only, admin_policy = frozenset({"PUT", "DELETE"}), "os_compute_api:os-quota-sets"

    def _project(self, request, tenant_id: str) -> str:
        if not self.context.is_admin and tenant_id != self.context.project_id:
            raise Forbidden("Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.")
        quota_require_project(project_id=tenant_id)
        return tenant_id

    @staticmethod
    def _user(request) -> str | None:
        """`?user_id=`: the call is about that user's quotas within the project (Nova's user quotas)."""
        user_id = request.query_params.get("user_id") or None
        if user_id is not None and len(user_id) > 255:
            raise BadRequest("Invalid input: user_id has more than 255 characters.")
        return user_id


# --- documentation ---------------------------------------------------------------------------------

QUOTA_FIELDS = QUOTA_RESOURCES + UNLIMITED_NETWORK
QuotaSetDoc = doc_serializer("QuotaSet", {
    "id": serializers.CharField(required=False, help_text="The project (not in the update response)."),
    **{r: serializers.IntegerField(help_text="-1: unlimited.") for r in QUOTA_FIELDS},
})


class QuotaDetailItem(serializers.Serializer):
    in_use = serializers.IntegerField()
    limit = serializers.IntegerField()
    reserved = serializers.IntegerField(help_text="Always 0 (usage is counted, not reserved).")


QuotaSetDetailDoc = doc_serializer("QuotaSetDetail", {
    "id": serializers.CharField(), **{r: QuotaDetailItem() for r in QUOTA_FIELDS}})
QuotaSetUpdateDoc = doc_serializer("QuotaSetUpdate", {
    **{r: serializers.IntegerField(required=False, min_value=-1) for r in QUOTA_FIELDS},
    "force": serializers.BooleanField(required=False, help_text="Set limits below current usage."),
})


class QuotaSetResponse(serializers.Serializer):
    quota_set = QuotaSetDoc()


class QuotaSetDetailResponse(serializers.Serializer):
    quota_set = QuotaSetDetailDoc()


class QuotaSetUpdateRequest(serializers.Serializer):
    quota_set = QuotaSetUpdateDoc()


ADMIN_OR_OWN = "Not an admin and not the caller's own project (policy), or " + UNSCOPED
BAD_PROJECT = "No such project."
USER_ID = OpenApiParameter("user_id", str, description="A user of the project: their own limits (those not set "
                                                       "are the project's) and usage.")


# --- views -----------------------------------------------------------------------------------------

class QuotaSetShowView(QuotaSetView):
    @extend_schema(operation_id="compute_quota_set_show", summary="Show a project's quotas", tags=TAGS,
                   parameters=[USER_ID], responses={200: QuotaSetResponse, **nova_errors({400: BAD_PROJECT, 403: ADMIN_OR_OWN})})
    def get(self, request, tenant_id):
        project_id, user_id = self._project(request, tenant_id), self._user(request)
        limits = (quota_user_limits(project_id=project_id, user_id=user_id) if user_id
                  else quota_limits(project_id=project_id))
        return Response({"quota_set": without_removed(request, _quota_set(limits, project_id), QUOTA_REMOVED)})

    @extend_schema(operation_id="compute_quota_set_update", summary="Update a project's quotas (admin)", tags=TAGS,
                   request=QuotaSetUpdateRequest, parameters=[USER_ID],
                   description="Without `force`, a limit below what the project (or the user) uses now is "
                               "refused (400), as is a user's limit above the project's.",
                   responses={200: QuotaSetResponse,
                              **nova_errors({400: "Invalid value, a limit below usage, or " + BAD_PROJECT,
                                             403: "Not an admin."})})
    def put(self, request, tenant_id):
        project_id = self._project(request, tenant_id)
        body = body_of(request, "quota_set")
        force = body.get("force", False)
        if isinstance(force, str):
            force = force.lower() in ("1", "true", "yes", "on")
        values = {}
        for key, value in body.items():
            if key == "force":
                continue
            if key not in QUOTA_FIELDS or key in removed_keys(request, QUOTA_REMOVED):
                raise BadRequest(f"Invalid input for field/attribute quota_set. Additional properties are not "
                                 f"allowed ('{key}' was unexpected)")
            limit = _parse_limit(key, value)
            if key in QUOTA_RESOURCES:  # the network ones are accepted, as Nova 2.1, and not enforced
                values[key] = limit
        user_id = self._user(request)
        if user_id:
            limits = quota_user_set_update(project_id=project_id, user_id=user_id, values=values, force=bool(force))
        else:
            limits = quota_set_update(project_id=project_id, values=values, force=bool(force))
        return Response({"quota_set": without_removed(request, _quota_set(limits), QUOTA_REMOVED)})

    @extend_schema(operation_id="compute_quota_set_delete", summary="Revert a project's quotas to the defaults "
                                                                   "(admin)", tags=TAGS, parameters=[USER_ID],
                   responses={202: OpenApiResponse(description="Reverted. No body."),
                              **nova_errors({400: BAD_PROJECT, 403: "Not an admin."})})
    def delete(self, request, tenant_id):
        project_id, user_id = self._project(request, tenant_id), self._user(request)
        if user_id:
            quota_user_set_delete(project_id=project_id, user_id=user_id)
        else:
            quota_set_delete(project_id=project_id)
        return Response(status=202)


class QuotaSetDefaultsView(QuotaSetView):
    @extend_schema(operation_id="compute_quota_set_defaults", summary="Show the default quotas", tags=TAGS,
                   responses={200: QuotaSetResponse, **nova_errors({403: UNSCOPED})})
    def get(self, request, tenant_id):
        # Nova lets any caller read the defaults, for any project id.
        return Response({"quota_set": without_removed(request, _quota_set(quota_defaults(), tenant_id),
                                                      QUOTA_REMOVED)})


class QuotaSetDetailView(QuotaSetView):
    @extend_schema(operation_id="compute_quota_set_detail", summary="Show a project's quotas with usage",
                   tags=TAGS, parameters=[USER_ID], responses={200: QuotaSetDetailResponse,
                                         **nova_errors({400: BAD_PROJECT, 403: ADMIN_OR_OWN})})
    def get(self, request, tenant_id):
        project_id, user_id = self._project(request, tenant_id), self._user(request)
        if user_id:
            limits = quota_user_limits(project_id=project_id, user_id=user_id)
            usage = quota_user_usage(project_id=project_id, user_id=user_id)
        else:
            limits = quota_limits(project_id=project_id)
            usage = quota_usage(project_id=project_id,
                                user_id=self.context.user_id if project_id == self.context.project_id else None)
        body = {"id": project_id}
        body.update({k: {"in_use": 0, "limit": -1, "reserved": 0} for k in UNLIMITED_NETWORK})
        body.update({r: {"in_use": usage[r], "limit": limits[r], "reserved": 0} for r in QUOTA_RESOURCES})
        return Response({"quota_set": without_removed(request, body, QUOTA_REMOVED)})
