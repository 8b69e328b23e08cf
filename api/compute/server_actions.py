"""POST /servers/{id}/action: one key per body, as Nova's action dispatch."""
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.compute.services.host_calls import instance_console_output
from compute_platform.compute.services.deferred_delete import instance_force_delete, instance_restore
from compute_platform.compute.services.instance_crash_dump import instance_trigger_crash_dump
from compute_platform.compute.services.instances import instance_action
from compute_platform.network.services.interfaces import (instance_security_group_add,
                                                          instance_security_group_remove)

from ..common.microversions import version_at_least
from ..common.views import OpenStackView
from . import schemas, serializers
from .floating_ips import FLOATING_IP_ACTIONS  # issue 11: the nova-network era proxies (to 2.43)
from .remote_consoles import SerialConsoleAction, console_url
from .server_image_actions import IMAGE_NETWORK_ACTIONS
from .server_move_actions import MOVE_ACTIONS as REBUILD_SHELVE_RESCUE_ACTIONS
from .server_moves import MOVE_ACTIONS as MIGRATION_ACTIONS

# One table of the actions whose handlers take (view, request, instance, value): rebuild, createImage, shelve,
# lock, rescue, os-resetState (server_move_actions.py); resize, confirm/revert, migrate, os-migrateLive,
# evacuate (server_moves.py); createBackup, injectNetworkInfo (server_image_actions.py).
MOVE_ACTIONS = {**REBUILD_SHELVE_RESCUE_ACTIONS, **MIGRATION_ACTIONS, **IMAGE_NETWORK_ACTIONS}
assert len(MOVE_ACTIONS) == (len(REBUILD_SHELVE_RESCUE_ACTIONS) + len(MIGRATION_ACTIONS)
                             + len(IMAGE_NETWORK_ACTIONS))  # no key shadowed

# body key -> action key of states.ACTIONS (reboot is resolved from its type)
SIMPLE_ACTIONS = {"os-start": "start", "os-stop": "stop", "pause": "pause", "unpause": "unpause",
                  "suspend": "suspend", "resume": "resume"}
# Nova's deferred delete actions (no soft delete here: restore is always 409, forceDelete deletes).
DEFERRED_DELETE = {"restore": instance_restore, "forceDelete": instance_force_delete}
SECURITY_GROUP_ACTIONS = {"addSecurityGroup": instance_security_group_add,
                          "removeSecurityGroup": instance_security_group_remove}


# The nova-network era actions, removed at microversion 2.44 (use the network API).
REMOVED_AT_2_44 = ("addFixedIp", "removeFixedIp", "addFloatingIp", "removeFloatingIp")


class ServerActionView(OpenStackView):
    @schemas.server_action
    def post(self, request, server_id):
        if not isinstance(request.data, dict) or len(request.data) != 1:
            raise BadRequest("The action body must be a JSON object with exactly one action key.")
        (key, value), = request.data.items()
        if key in REMOVED_AT_2_44 and version_at_least(request, "2.44"):
            raise NotFound(f"There is no such action: {key}")  # Nova's 404 from 2.44 on
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        if key in MOVE_ACTIONS:
            return MOVE_ACTIONS[key](self, request, instance, value)
        if key in SIMPLE_ACTIONS:
            instance_action(context=self.context, instance=instance, action_key=SIMPLE_ACTIONS[key])
            return Response(status=202)
        if key == "reboot":
            data = serializers.Reboot(data=value if isinstance(value, dict) else {})
            data.is_valid(raise_exception=True)
            action_key = "reboot_hard" if data.validated_data["type"].upper() == "HARD" else "reboot"
            instance_action(context=self.context, instance=instance, action_key=action_key)
            return Response(status=202)
        if key == "os-getConsoleOutput":
            data = serializers.ConsoleOutput(data=value if isinstance(value, dict) else {})
            data.is_valid(raise_exception=True)
            length = data.validated_data.get("length")
            output = instance_console_output(context=self.context, instance=instance,
                                             length=None if length in (None, -1) else length)
            return Response({"output": output})
        # --- microversions ---
        if key == "trigger_crash_dump" and version_at_least(request, "2.17"):
            if value is not None:
                raise BadRequest("Invalid input for field/attribute trigger_crash_dump: it must be null.")
            instance_trigger_crash_dump(context=self.context, instance=instance)
            return Response(status=202)
        if key == "os-getSerialConsole":
            if version_at_least(request, "2.6"):  # as Nova: 2.1 to 2.5 only, then remote-consoles replaces it
                raise NotFound("The resource could not be found.")
            data = SerialConsoleAction(data=value if isinstance(value, dict) else {})
            data.is_valid(raise_exception=True)
            console = console_url(context=self.context, server_id=server_id, protocol="serial",
                                  console_type=data.validated_data["type"])
            return Response({"console": {"type": console["type"], "url": console["url"]}})
        if key in DEFERRED_DELETE:
            DEFERRED_DELETE[key](context=self.context, instance=instance)
            return Response(status=202)
        if key in SECURITY_GROUP_ACTIONS:
            name = value.get("name") if isinstance(value, dict) else None
            if not isinstance(name, str) or not name or "\x00" in name or len(name) > 255:
                raise BadRequest(f"{key} needs a security group name")
            SECURITY_GROUP_ACTIONS[key](context=self.context, instance=instance, name=name)
            return Response(status=202)
        if key in FLOATING_IP_ACTIONS:
            return FLOATING_IP_ACTIONS[key](self, request, instance, value)
        raise BadRequest(f"There is no such action: {key}")
