"""OpenAPI declarations of the compute API (Nova v2.1): documentation-only serializers mirroring
view_builders.py and hosts.py, and one `extend_schema` per operation, applied in the views."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema,
                                   extend_schema_field)
from rest_framework import serializers

from ..common.schemas import UNSCOPED, ComputeVersion, Link, doc_serializer, nova_errors
from . import move_serializers as move_inputs
from . import migration_schemas as move_schemas
from . import server_image_actions as image_actions
from . import serializers as inputs

TAGS = ["compute"]
ISO_NO_ZONE = "ISO 8601 without a zone (UTC), microseconds: `2024-05-01T12:00:00.000000`."


# --- servers ---------------------------------------------------------------------------------------

class ServerBasic(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    links = Link(many=True)


class BookmarkRef(serializers.Serializer):
    id = serializers.CharField()
    links = Link(many=True)


@extend_schema_field({
    "oneOf": [
        {"type": "object", "required": ["id", "links"],
         "properties": {"id": {"type": "string", "format": "uuid"},
                        "links": {"type": "array", "items": {"type": "object", "properties": {
                            "rel": {"type": "string"}, "href": {"type": "string", "format": "uri"}}}}}},
        {"type": "string", "enum": [""]},
    ],
    "description": "The image booted from, or an empty string when the server has none.",
})
class ImageRefOrEmpty(serializers.Field):
    pass


class SecurityGroupName(serializers.Serializer):
    name = serializers.CharField()


class ServerFault(serializers.Serializer):
    code = serializers.IntegerField()
    message = serializers.CharField()
    created = serializers.DateTimeField()
    details = serializers.CharField(required=False, help_text="Admins always; others unless the code is 500.")


ServerDetail = doc_serializer("ServerDetail", {
    "id": serializers.UUIDField(),
    "name": serializers.CharField(),
    "status": serializers.CharField(help_text="BUILD, ACTIVE, SHUTOFF, PAUSED, SUSPENDED, REBOOT, HARD_REBOOT, "
                                              "ERROR, DELETED or UNKNOWN."),
    "tenant_id": serializers.CharField(),
    "user_id": serializers.CharField(),
    "metadata": serializers.DictField(child=serializers.CharField()),
    "hostId": serializers.CharField(help_text="Opaque per-project host hash; empty before scheduling."),
    "image": ImageRefOrEmpty(),
    "flavor": BookmarkRef(),
    "created": serializers.DateTimeField(),
    "updated": serializers.DateTimeField(),
    "addresses": serializers.DictField(help_text="Always empty: networking is out of scope."),
    "accessIPv4": serializers.CharField(allow_blank=True),
    "accessIPv6": serializers.CharField(allow_blank=True),
    "links": Link(many=True),
    "OS-DCF:diskConfig": serializers.CharField(help_text="`MANUAL`"),
    "progress": serializers.IntegerField(required=False, help_text="Only in ACTIVE, BUILD, REBUILD, RESIZE, "
                                         "VERIFY_RESIZE and MIGRATING, as Nova."),
    "OS-EXT-AZ:availability_zone": serializers.CharField(allow_blank=True),
    "config_drive": serializers.CharField(allow_blank=True),
    "key_name": serializers.CharField(allow_null=True),
    "OS-SRV-USG:launched_at": serializers.CharField(allow_null=True, help_text=ISO_NO_ZONE),
    "OS-SRV-USG:terminated_at": serializers.CharField(allow_null=True, help_text=ISO_NO_ZONE),
    "OS-EXT-STS:task_state": serializers.CharField(allow_null=True),
    "OS-EXT-STS:vm_state": serializers.CharField(),
    "OS-EXT-STS:power_state": serializers.IntegerField(
        help_text="Nova's codes: 0 NOSTATE, 1 RUNNING, 3 PAUSED, 4 SHUTDOWN, 6 CRASHED, 7 SUSPENDED."),
    "os-extended-volumes:volumes_attached": serializers.ListField(child=serializers.DictField()),
    "security_groups": SecurityGroupName(many=True),
    "OS-EXT-SRV-ATTR:host": serializers.CharField(required=False, allow_null=True, help_text="Admins only."),
    "OS-EXT-SRV-ATTR:hypervisor_hostname": serializers.CharField(required=False, allow_null=True,
                                                                 help_text="Admins only."),
    "OS-EXT-SRV-ATTR:instance_name": serializers.CharField(required=False, help_text="Admins only."),
    "fault": ServerFault(required=False, help_text="Present when the server is in ERROR."),
})

ServerCreated = doc_serializer("ServerCreated", {
    "id": serializers.UUIDField(),
    "name": serializers.CharField(),
    "links": Link(many=True),
    "OS-DCF:diskConfig": serializers.CharField(help_text="`MANUAL`"),
    "security_groups": SecurityGroupName(many=True),
    "adminPass": serializers.CharField(),
})


class ServerList(serializers.Serializer):
    servers = ServerBasic(many=True)
    servers_links = Link(many=True, required=False, help_text="A `next` link when the page is full.")


class ServerDetailList(serializers.Serializer):
    servers = ServerDetail(many=True)
    servers_links = Link(many=True, required=False, help_text="A `next` link when the page is full.")


class ServerResponse(serializers.Serializer):
    server = ServerDetail()


class ServerCreateResponse(serializers.Serializer):
    server = ServerCreated()


ServerCreateRequest = doc_serializer("ServerCreateRequest", {
    "server": inputs.ServerCreate(),
    "os:scheduler_hints": serializers.DictField(required=False, help_text="Scheduler hints (an object)."),
})

LIST_PARAMETERS = [
    OpenApiParameter("name", str, description="Regular expression matched against the server name."),
    OpenApiParameter("status", str, description="Server status, e.g. ACTIVE or SHUTOFF (case-insensitive); "
                                                "an unknown status gives an empty list."),
    OpenApiParameter("host", str, description="Compute host name (admins only; ignored for others)."),
    OpenApiParameter("flavor", str, description="Flavor id."),
    OpenApiParameter("image", str, description="Image UUID."),
    OpenApiParameter("changes-since", OpenApiTypes.DATETIME,
                     description="Only servers updated since then, deleted ones included."),
    OpenApiParameter("all_tenants", str, description="Admins: list every project's servers "
                                                     "(`1`, `true`, `yes`, `on` or empty)."),
    OpenApiParameter("project_id", str, description="With `all_tenants`: only this project's servers."),
    OpenApiParameter("tenant_id", str, description="Alias of `project_id`."),
    OpenApiParameter("deleted", str, description="Admins: list deleted servers instead (`1`, `true` or `yes`)."),
    OpenApiParameter("limit", int, description="Page size (capped at API_MAX_LIMIT, 1000 by default)."),
    OpenApiParameter("marker", OpenApiTypes.UUID, description="UUID of the last server of the previous page."),
]

server_list = extend_schema(
    operation_id="compute_servers_list", summary="List servers (id, name, links)", tags=TAGS,
    description="The caller's project's servers, newest first, keyset-paginated with `limit` and `marker`.",
    parameters=LIST_PARAMETERS,
    responses={200: ServerList, **nova_errors({400: "Bad limit, marker, name regex or changes-since.",
                                               403: UNSCOPED})})

server_list_detail = extend_schema(
    operation_id="compute_servers_list_detail", summary="List servers with details",
    responses={200: ServerDetailList, **nova_errors({400: "Bad limit, marker, name regex or changes-since.",
                                                     403: UNSCOPED})})

server_create = extend_schema(
    operation_id="compute_server_create", summary="Create (boot) a server", tags=TAGS,
    description="Accepted at once; the server builds asynchronously (poll `GET /servers/{server_id}`). "
                "`min_count`/`max_count` create several (named `name-1`, `name-2`, ...; the answer is the "
                "first, or `{\"reservation_id\": ...}` with `return_reservation_id`). `key_name` names one of "
                "the caller's key pairs; `os:scheduler_hints.group` a server group whose policy placement "
                "honours (ERROR with a \"No valid host\" fault when it cannot).",
    request=ServerCreateRequest,
    parameters=[OpenApiParameter("Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[202],
                                 description="URL of the new server.")],
    responses={202: ServerCreateResponse,
               **nova_errors({400: "Invalid body, unknown flavorRef, imageRef, key_name or group, image not "
                                   "active or too big for the flavor.",
                              403: "Over quota (instances, cores, ram, metadata_items, server_group_members), "
                                   "or " + UNSCOPED})})

server_show = extend_schema(
    operation_id="compute_server_show", summary="Show a server", tags=TAGS,
    responses={200: ServerResponse, **nova_errors({403: UNSCOPED, 404: "No such server in the project."})})

server_update = extend_schema(
    operation_id="compute_server_update", summary="Update a server's name, description (2.19) or hostname "
                                                  "(2.90)", tags=TAGS,
    request=doc_serializer("ServerUpdateRequest", {"server": serializers.DictField()}),
    responses={200: ServerResponse, **nova_errors({400: "Invalid body, or a key this microversion lacks.",
                                                   403: UNSCOPED, 404: "No such server in the project."})})

server_delete = extend_schema(
    operation_id="compute_server_delete", summary="Delete a server", tags=TAGS,
    responses={204: OpenApiResponse(description="Deletion started (or done, if the server never reached a "
                                                "host). No body."),
               **nova_errors({403: UNSCOPED, 404: "No such server in the project."})})


# --- server actions --------------------------------------------------------------------------------

def _action(name: str, key: str, value: serializers.Field) -> type:
    return doc_serializer(name, {key: value})


def _no_argument() -> serializers.Field:
    return serializers.JSONField(allow_null=True, help_text="`null` (ignored).")


ServerSecurityGroupArgument = doc_serializer("ServerSecurityGroupArgument", {
    "name": serializers.CharField(help_text="The group's name or id.")})

SERVER_ACTIONS = [
    _action("StartAction", "os-start", _no_argument()),
    _action("StopAction", "os-stop", _no_argument()),
    _action("PauseAction", "pause", _no_argument()),
    _action("UnpauseAction", "unpause", _no_argument()),
    _action("SuspendAction", "suspend", _no_argument()),
    _action("ResumeAction", "resume", _no_argument()),
    _action("RebootAction", "reboot", inputs.Reboot()),
    _action("GetConsoleOutputAction", "os-getConsoleOutput", inputs.ConsoleOutput()),
    _action("GetSerialConsoleAction", "os-getSerialConsole",
            doc_serializer("SerialConsoleType", {"type": serializers.ChoiceField(("serial",))})()),
    # networking: the group on (off) every port of the server
    _action("AddSecurityGroupAction", "addSecurityGroup", ServerSecurityGroupArgument()),
    _action("RemoveSecurityGroupAction", "removeSecurityGroup", ServerSecurityGroupArgument()),
    *move_schemas.MOVE_ACTIONS,
    _action("TriggerCrashDumpAction", "trigger_crash_dump", _no_argument()),  # microversion 2.17
]
SERVER_ACTIONS += [  # deferred delete (issue 11): restore is always 409 (nothing is soft deleted)
    _action("RestoreAction", "restore", _no_argument()),
    _action("ForceDeleteAction", "forceDelete", _no_argument()),
]
# --- moves A: rebuild, createImage, shelve, lock, rescue, os-resetState ---
SERVER_ACTIONS += [
    _action("RebuildAction", "rebuild", move_inputs.Rebuild()),
    _action("CreateImageAction", "createImage", move_inputs.CreateImage()),
    _action("ShelveAction", "shelve", _no_argument()),
    _action("ShelveOffloadAction", "shelveOffload", _no_argument()),
    _action("UnshelveAction", "unshelve", _no_argument()),
    _action("LockAction", "lock", move_inputs.Lock(required=False, allow_null=True)),
    _action("UnlockAction", "unlock", _no_argument()),
    _action("RescueAction", "rescue", move_inputs.Rescue(required=False, allow_null=True)),
    _action("UnrescueAction", "unrescue", _no_argument()),
    _action("ResetStateAction", "os-resetState", move_inputs.ResetState()),
]
# --- end moves A ---
SERVER_ACTIONS += [  # issue 11: a rotated snapshot; network info re-injection (admin)
    _action("CreateBackupAction", "createBackup", image_actions.CreateBackup()),
    _action("InjectNetworkInfoAction", "injectNetworkInfo", _no_argument()),
]


class ConsoleOutputResponse(serializers.Serializer):
    output = serializers.CharField(required=False, help_text="`os-getConsoleOutput`")
    adminPass = serializers.CharField(required=False, help_text="`rescue`: the rescued server's password")


SerialConsoleResponse = doc_serializer("SerialConsoleResponse", {"console": doc_serializer(
    "SerialConsole", {"type": serializers.CharField(), "url": serializers.CharField()})()})


server_action = extend_schema(
    operation_id="compute_server_action", summary="Run an action on a server", tags=TAGS,
    description="The body holds exactly one action key. `os-getConsoleOutput` answers 200 with the output "
                "(`length`: last lines, -1 or null for all); `os-getSerialConsole` (2.1 to 2.5) answers 200 with the "
                "serial proxy's URL and a short-lived token; `rescue` 200 with the `adminPass`; every other action is "
                "accepted with 202 and runs asynchronously (see `os-instance-actions`): `rebuild` "
                "answers the server (with `adminPass`), `createImage` the snapshot's URL in `Location` (its "
                "`image_id` in the body from 2.45). `shelveOffload` and `os-resetState` are admin-only; a locked "
                "server refuses every other action but `unlock` to non-admins (409), and only an admin lifts "
                "an admin's lock (403).",
    request=PolymorphicProxySerializer(component_name="ServerAction", serializers=SERVER_ACTIONS,
                                       resource_type_field_name=None),
    responses={200: OpenApiResponse(PolymorphicProxySerializer(
                   component_name="ServerActionAnswer", serializers=[ConsoleOutputResponse, SerialConsoleResponse],
                   resource_type_field_name=None),
                   description="`os-getConsoleOutput`, `rescue` and `os-getSerialConsole` only."),
               202: OpenApiResponse(description="Action accepted. No body."),
               **nova_errors({400: "Not exactly one action key, an unknown action or a bad argument.",
                              403: UNSCOPED, 404: "No such server in the project.",
                              409: "The server's state does not allow the action now.",
                              503: "`os-getConsoleOutput`: the compute host did not answer in time."})})


class InstanceAction(serializers.Serializer):
    action = serializers.CharField()
    instance_uuid = serializers.UUIDField()
    message = serializers.CharField(allow_null=True)
    project_id = serializers.CharField()
    request_id = serializers.CharField()
    start_time = serializers.CharField(help_text=ISO_NO_ZONE)
    user_id = serializers.CharField()


class InstanceActionEvent(serializers.Serializer):
    event = serializers.CharField()
    start_time = serializers.CharField(help_text=ISO_NO_ZONE)
    finish_time = serializers.CharField(allow_null=True, help_text=ISO_NO_ZONE)
    result = serializers.CharField(allow_null=True)
    traceback = serializers.CharField(required=False, allow_null=True, help_text="Admins only.")


class InstanceActionDetail(InstanceAction):
    events = InstanceActionEvent(many=True)


class InstanceActionList(serializers.Serializer):
    instanceActions = InstanceAction(many=True)


class InstanceActionResponse(serializers.Serializer):
    instanceAction = InstanceActionDetail()


instance_action_list = extend_schema(
    operation_id="compute_server_actions_list", summary="List a server's actions", tags=TAGS,
    description="Newest first. Readable after the server is deleted.",
    responses={200: InstanceActionList, **nova_errors({403: UNSCOPED, 404: "No such server in the project."})})

instance_action_show = extend_schema(
    operation_id="compute_server_action_show", summary="Show a server action and its events", tags=TAGS,
    responses={200: InstanceActionResponse,
               **nova_errors({403: UNSCOPED, 404: "No such server, or no such action on it."})})


# --- limits ----------------------------------------------------------------------------------------

AbsoluteLimits = doc_serializer("AbsoluteLimits", {
    **{k: serializers.IntegerField(help_text="The project's quota; -1: unlimited.") for k in (
        "maxTotalInstances", "maxTotalCores", "maxTotalRAMSize", "maxServerMeta", "maxImageMeta",
        "maxPersonality", "maxPersonalitySize", "maxTotalKeypairs", "maxServerGroups", "maxServerGroupMembers",
        "maxSecurityGroups", "maxSecurityGroupRules", "maxTotalFloatingIps")},
    **{k: serializers.IntegerField() for k in (
        "totalInstancesUsed", "totalCoresUsed", "totalRAMUsed", "totalServerGroupsUsed",
        "totalSecurityGroupsUsed", "totalFloatingIpsUsed")},
})


class Limits(serializers.Serializer):
    rate = serializers.ListField(child=serializers.DictField(), help_text="Always empty.")
    absolute = AbsoluteLimits()


class LimitsResponse(serializers.Serializer):
    limits = Limits()


limits_show = extend_schema(
    operation_id="compute_limits_show", summary="Show limits and the project's usage", tags=TAGS,
    responses={200: LimitsResponse, **nova_errors({403: UNSCOPED})})


# --- version documents -----------------------------------------------------------------------------

class ComputeVersionList(serializers.Serializer):
    versions = ComputeVersion(many=True)


class ComputeVersionResponse(serializers.Serializer):
    version = ComputeVersion()


versions_list = extend_schema(
    operation_id="compute_versions_list", summary="List compute API versions", tags=TAGS,
    responses={200: ComputeVersionList})

version_show = extend_schema(
    operation_id="compute_version_show", summary="Show the v2.1 version document", tags=TAGS,
    responses={200: ComputeVersionResponse})
version_v20_show = extend_schema(
    operation_id="compute_version_v20_show", summary="Show the legacy v2.0 version document (not served)",
    tags=TAGS, responses={200: ComputeVersionResponse})
