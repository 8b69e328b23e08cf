"""/compute/v2.1/os-server-groups: placement policies over servers (microversion 2.1 shape:
`policies: [one policy]`, `members`, `metadata`). A server joins with `os:scheduler_hints: {"group": id}`."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.compute.services.server_groups import (POLICIES, server_group_create, server_group_delete,
                                                             server_group_get, server_group_list,
                                                             server_group_members)

from ..common.pagination import page_params
from ..common.schemas import UNSCOPED, nova_errors
from ..common.views import OpenStackView, body_of

TAGS = ["compute"]


class ServerGroupCreate(serializers.Serializer):
    name = serializers.CharField(max_length=255, trim_whitespace=False)
    policies = serializers.ListField(child=serializers.ChoiceField(choices=POLICIES), min_length=1, max_length=1,
                                     help_text="Exactly one policy: `affinity` or `anti-affinity`.")

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError("name must not be blank")
        return value


def server_group_body(group, members: list[str]) -> dict:
    return {"id": str(group.uuid), "name": group.name, "policies": [group.policy], "members": members,
            "metadata": {}}


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


# --- documentation ---------------------------------------------------------------------------------

class ServerGroupDoc(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    policies = serializers.ListField(child=serializers.CharField(), help_text="One policy.")
    members = serializers.ListField(child=serializers.UUIDField(), help_text="UUIDs of the servers in the group.")
    metadata = serializers.DictField(help_text="Always empty.")


class ServerGroupList(serializers.Serializer):
    server_groups = ServerGroupDoc(many=True)


class ServerGroupResponse(serializers.Serializer):
    server_group = ServerGroupDoc()


class ServerGroupCreateRequest(serializers.Serializer):
    server_group = ServerGroupCreate()


# --- views -----------------------------------------------------------------------------------------

class ServerGroupListView(OpenStackView):
    @extend_schema(operation_id="compute_server_groups_list", summary="List server groups", tags=TAGS,
                   parameters=[OpenApiParameter("all_projects", OpenApiTypes.BOOL,
                                                description="Admins: every project's groups."),
                               OpenApiParameter("limit", int, description="Page size (capped at API_MAX_LIMIT)."),
                               OpenApiParameter("offset", int, description="Groups to skip (at most 2**31-1).")],
                   responses={200: ServerGroupList, **nova_errors({400: "Bad limit or offset.", 403: UNSCOPED})})
    def get(self, request):
        page = page_params(request)
        groups = server_group_list(context=self.context, all_projects=_flag(request.query_params.get("all_projects")))
        groups = list(groups[page.offset:page.offset + page.limit])
        members = server_group_members(groups=groups)
        return Response({"server_groups": [server_group_body(g, members[g.id]) for g in groups]})

    @extend_schema(operation_id="compute_server_group_create", summary="Create a server group", tags=TAGS,
                   request=ServerGroupCreateRequest,
                   responses={200: ServerGroupResponse,
                              **nova_errors({400: "Invalid name or policies.",
                                             403: "Over the server_groups quota, or " + UNSCOPED})})
    def post(self, request):
        data = ServerGroupCreate(data=body_of(request, "server_group"))
        data.is_valid(raise_exception=True)
        v = data.validated_data
        group = server_group_create(context=self.context, name=v["name"], policy=v["policies"][0])
        return Response({"server_group": server_group_body(group, [])})


class ServerGroupView(OpenStackView):
    @extend_schema(operation_id="compute_server_group_show", summary="Show a server group", tags=TAGS,
                   responses={200: ServerGroupResponse, **nova_errors({403: UNSCOPED, 404: "No such group."})})
    def get(self, request, group_id):
        group = server_group_get(context=self.context, group_uuid=group_id)
        return Response({"server_group": server_group_body(group, server_group_members(groups=[group])[group.id])})

    @extend_schema(operation_id="compute_server_group_delete", summary="Delete a server group", tags=TAGS,
                   description="Its servers stay where they are and leave the group.",
                   responses={204: OpenApiResponse(description="Deleted. No body."),
                              **nova_errors({403: UNSCOPED, 404: "No such group."})})
    def delete(self, request, group_id):
        group = server_group_get(context=self.context, group_uuid=group_id)
        server_group_delete(context=self.context, group=group)
        return Response(status=204)
