"""/compute/v2.1/os-server-groups: placement policies over servers (microversion 2.1 shape:
`policies: [one policy]`, `members`, `metadata`). A server joins with `os:scheduler_hints: {"group": id}`."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest
from compute_platform.compute.services.server_groups import (POLICIES, server_group_create, server_group_delete,
                                                             server_group_get, server_group_list,
                                                             server_group_members)

from ..common.microversions import version_at_least
from ..common.pagination import page_params
from ..common.schemas import UNSCOPED, nova_errors
from ..common.views import OpenStackView, body_of

TAGS = ["compute"]


class ServerGroupCreateV264(serializers.Serializer):
    """From microversion 2.64: one `policy`, and `rules` (`max_server_per_host` for anti-affinity)."""

    name = serializers.CharField(max_length=255, trim_whitespace=False)
    policy = serializers.ChoiceField(choices=POLICIES)
    rules = serializers.DictField(required=False)

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError("name must not be blank")
        return value

    def validate(self, data):
        rules = data.get("rules") or {}
        if set(rules) - {"max_server_per_host"} or (rules and data["policy"] != "anti-affinity"):
            raise serializers.ValidationError("rules: only max_server_per_host, for the anti-affinity policy")
        per_host = rules.get("max_server_per_host", 1)
        if not isinstance(per_host, int) or isinstance(per_host, bool) or per_host < 1:
            raise serializers.ValidationError("rules.max_server_per_host must be a positive integer")
        return data


class ServerGroupCreate(serializers.Serializer):
    name = serializers.CharField(max_length=255, trim_whitespace=False)
    policies = serializers.ListField(child=serializers.ChoiceField(choices=POLICIES), min_length=1, max_length=1,
                                     help_text="Exactly one policy: `affinity` or `anti-affinity`.")

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError("name must not be blank")
        return value


def server_group_body(request, group, members: list[str]) -> dict:
    body = {"id": str(group.uuid), "name": group.name, "members": members}
    if version_at_least(request, "2.64"):  # one `policy` and its `rules` replace `policies` and `metadata`
        body.update({"policy": group.policy, "rules": dict(group.rules or {})})
    else:
        body.update({"policies": [group.policy], "metadata": {}})
    if version_at_least(request, "2.13"):
        body.update({"project_id": group.project_id, "user_id": str(group.user_id)})
    return body


def check_policy(request, policy: str) -> None:
    """The soft policies exist from microversion 2.15 (Nova's schema refuses them before)."""
    if policy.startswith("soft-") and not version_at_least(request, "2.15"):
        raise BadRequest(f"Invalid input for field/attribute policies. Value: {policy!r} is not one of "
                         f"['anti-affinity', 'affinity']")


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
        return Response({"server_groups": [server_group_body(request, g, members[g.id]) for g in groups]})

    @extend_schema(operation_id="compute_server_group_create", summary="Create a server group", tags=TAGS,
                   request=ServerGroupCreateRequest,
                   responses={200: ServerGroupResponse,
                              **nova_errors({400: "Invalid name or policies.",
                                             403: "Over the server_groups quota, or " + UNSCOPED})})
    def post(self, request):
        body = body_of(request, "server_group")
        if version_at_least(request, "2.64"):
            data = ServerGroupCreateV264(data=body)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            policy, rules = v["policy"], v.get("rules")
        else:
            data = ServerGroupCreate(data=body)
            data.is_valid(raise_exception=True)
            policy, rules = data.validated_data["policies"][0], None
            check_policy(request, policy)
        group = server_group_create(context=self.context, name=data.validated_data["name"], policy=policy,
                                    rules=rules)
        return Response({"server_group": server_group_body(request, group, [])})


class ServerGroupView(OpenStackView):
    @extend_schema(operation_id="compute_server_group_show", summary="Show a server group", tags=TAGS,
                   responses={200: ServerGroupResponse, **nova_errors({403: UNSCOPED, 404: "No such group."})})
    def get(self, request, group_id):
        group = server_group_get(context=self.context, group_uuid=group_id)
        return Response({"server_group": server_group_body(request, group, server_group_members(groups=[group])[group.id])})

    @extend_schema(operation_id="compute_server_group_delete", summary="Delete a server group", tags=TAGS,
                   description="Its servers stay where they are and leave the group.",
                   responses={204: OpenApiResponse(description="Deleted. No body."),
                              **nova_errors({403: UNSCOPED, 404: "No such group."})})
    def delete(self, request, group_id):
        group = server_group_get(context=self.context, group_uuid=group_id)
        server_group_delete(context=self.context, group=group)
        return Response(status=204)
