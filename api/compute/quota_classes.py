"""/os-quota-class-sets/{name} (admin): a named set of quota limits; the class `default` holds every
project's default limits. Microversion 2.1 shape: without server_groups and server_group_members (they
appear at 2.50)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest
from compute_platform.compute.services.quotas import quota_class_limits, quota_class_update

from ..common.microversions import version_at_least
from ..common.schemas import ADMIN_ONLY, doc_serializer, nova_errors
from ..common.views import OpenStackView, body_of
from .quota_sets import QUOTA_FIELDS, TAGS, _parse_limit
from .quota_versions import QUOTA_REMOVED, removed_keys

SHOWN_BEFORE_2_50 = tuple(r for r in QUOTA_FIELDS if r not in ("server_groups", "server_group_members"))

QuotaClassSet = doc_serializer("QuotaClassSet", {
    "id": fields.CharField(required=False, help_text="The class (not in the update response)."),
    **{r: fields.IntegerField(help_text="-1: unlimited.") for r in SHOWN_BEFORE_2_50}})
QuotaClassSetResponse = doc_serializer("QuotaClassSetResponse", {"quota_class_set": QuotaClassSet()})
QuotaClassSetUpdateRequest = doc_serializer("QuotaClassSetUpdateRequest", {"quota_class_set": doc_serializer(
    "QuotaClassSetUpdate", {r: fields.IntegerField(required=False, min_value=-1) for r in QUOTA_FIELDS})()})


def shown_resources(request) -> list[str]:
    """From 2.50 the server group quotas appear and the network ones go (2.57: the injected_* ones too)."""
    if not version_at_least(request, "2.50"):
        return list(SHOWN_BEFORE_2_50)
    gone = set(QUOTA_REMOVED[0][1]) | removed_keys(request, QUOTA_REMOVED)
    return [r for r in QUOTA_FIELDS if r not in gone]


class QuotaClassSetView(OpenStackView):
    admin_only, admin_policy = True, "os_compute_api:os-quota-class-sets"

    @extend_schema(operation_id="compute_quota_class_set_show", summary="Show a quota class (admin)", tags=TAGS,
                   description="A class that was never set shows the defaults of the settings.",
                   responses={200: QuotaClassSetResponse, **nova_errors({403: ADMIN_ONLY})})
    def get(self, request, class_name):
        limits = quota_class_limits(name=class_name, resources=shown_resources(request))
        return Response({"quota_class_set": {"id": class_name, **limits}})

    @extend_schema(operation_id="compute_quota_class_set_update", summary="Update a quota class (admin)",
                   tags=TAGS, request=QuotaClassSetUpdateRequest,
                   description="The class `default` sets every project's default limits.",
                   responses={200: QuotaClassSetResponse, **nova_errors({400: "Invalid key or value, or a class "
                                                                              "name over 255 characters.",
                                                                         403: ADMIN_ONLY})})
    def put(self, request, class_name):
        if len(class_name) > 255:
            raise BadRequest("Invalid input: quota_class_name has more than 255 characters.")
        body = body_of(request, "quota_class_set")
        unknown = sorted(set(body) - set(shown_resources(request)))
        if unknown:
            raise BadRequest(f"Invalid input for field/attribute quota_class_set. Additional properties are not "
                             f"allowed ('{unknown[0]}' was unexpected)")
        values = {key: _parse_limit(key, value) for key, value in body.items()}
        limits = quota_class_update(name=class_name, values=values, resources=shown_resources(request))
        return Response({"quota_class_set": limits})
