"""Private flavors: /flavors/{id}/os-flavor-access (list) and the addTenantAccess / removeTenantAccess
actions of /flavors/{id}/action. Admin-only, as Nova's default policy."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, Conflict, NotFound
from compute_platform.compute.services.flavors import flavor_access_add, flavor_access_remove

from ..common.microversions import version_at_least
from ..common.schemas import ADMIN_ONLY, doc_serializer, nova_errors
from ..common.views import OpenStackView
from . import schemas, serializers


class FlavorAccessItem(fields.Serializer):
    flavor_id = fields.CharField()
    tenant_id = fields.CharField()


FlavorAccessList = doc_serializer("FlavorAccessList", {"flavor_access": FlavorAccessItem(many=True)})
FlavorAction = doc_serializer("FlavorAction", {
    "addTenantAccess": serializers.TenantAccess(required=False),
    "removeTenantAccess": serializers.TenantAccess(required=False)})


def access_body(flavor) -> dict:
    return {"flavor_access": [{"flavor_id": flavor.flavorid, "tenant_id": project_id}
                              for project_id in selectors.flavor_access_list(flavor=flavor)]}


class FlavorAccessListView(OpenStackView):
    admin_only, admin_policy = True, "os_compute_api:os-flavor-access"

    @extend_schema(operation_id="compute_flavor_access_list", summary="List the projects with access to a "
                   "private flavor (admin)", tags=schemas.TAGS,
                   responses={200: FlavorAccessList,
                              **nova_errors({403: ADMIN_ONLY, 404: "No such flavor, or a public one."})})
    def get(self, request, flavor_id):
        flavor = selectors.flavor_get(flavorid=flavor_id)
        if flavor.is_public:
            raise NotFound("Access list not available for public flavors.")
        return Response(access_body(flavor))


class FlavorActionView(OpenStackView):
    ACTIONS = {"addTenantAccess": flavor_access_add, "removeTenantAccess": flavor_access_remove}
    admin_only, admin_policy = True, "os_compute_api:os-flavor-access"

    @extend_schema(operation_id="compute_flavor_action", summary="Add or remove a project's access to a "
                   "private flavor (admin)", tags=schemas.TAGS, request=FlavorAction,
                   description="One key: `addTenantAccess` or `removeTenantAccess`, `{\"tenant\": project id}`. "
                               "Answers the flavor's access list.",
                   responses={200: FlavorAccessList,
                              **nova_errors({400: "Bad body, or (add) no such project.", 403: ADMIN_ONLY,
                                             404: "No such flavor, or (remove) the project has no access.",
                                             409: "(add) The project has access already."})})
    def post(self, request, flavor_id):
        if not isinstance(request.data, dict) or len(request.data) != 1 or next(iter(request.data)) not in self.ACTIONS:
            raise BadRequest("Invalid input: the body must have one key, addTenantAccess or removeTenantAccess.")
        (action, value), = request.data.items()
        data = serializers.TenantAccess(data=value)
        if not data.is_valid():
            raise BadRequest(f"Invalid input for field/attribute {action}: 'tenant' (a string of 1 to 255 "
                             "characters) is required.")
        flavor = selectors.flavor_get(flavorid=flavor_id)
        if action == "addTenantAccess" and flavor.is_public and version_at_least(request, "2.7"):
            raise Conflict("Can not add access to a public flavor.")  # Nova's check from microversion 2.7
        self.ACTIONS[action](flavor=flavor, project_id=data.validated_data["tenant"])
        return Response(access_body(flavor))
