"""Remote consoles (Nova's): `POST /servers/{id}/remote-consoles` from microversion 2.6, and the 2.1 action
`os-getSerialConsole` (in server_actions.py). Both answer a URL of the serial proxy with a short-lived token."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.compute.services.consoles import console_token_create

from ..common.microversions import version_at_least
from ..common.schemas import UNSCOPED, nova_errors
from ..common.views import OpenStackView

TAGS = ["compute"]
# Every protocol and type Nova's schema accepts; only serial/serial is served here (others: 400).
PROTOCOLS = ("vnc", "spice", "rdp", "serial", "mks")
TYPES = ("novnc", "xvpvnc", "spice-html5", "spice-direct", "rdp-html5", "serial", "webmks")


class RemoteConsoleRequest(serializers.Serializer):
    protocol = serializers.ChoiceField(PROTOCOLS)
    type = serializers.ChoiceField(TYPES)


class RemoteConsoleBody(serializers.Serializer):
    remote_console = RemoteConsoleRequest()


class RemoteConsole(serializers.Serializer):
    protocol = serializers.CharField()
    type = serializers.CharField()
    url = serializers.CharField(help_text="The serial proxy's websocket URL, `?token=` a secret valid "
                                          "CONSOLE_TOKEN_TTL seconds.")


class RemoteConsoleResponse(serializers.Serializer):
    remote_console = RemoteConsole()


class SerialConsoleAction(serializers.Serializer):
    type = serializers.ChoiceField(("serial",))


def console_url(*, context, server_id: str, protocol: str, console_type: str) -> dict:
    instance = selectors.instance_get(context=context, instance_uuid=server_id)
    return console_token_create(context=context, instance=instance, protocol=protocol, console_type=console_type)


class RemoteConsoleView(OpenStackView):
    @extend_schema(
        operation_id="compute_server_remote_console_create", summary="Create a remote console (2.6+)", tags=TAGS,
        request=RemoteConsoleBody,
        responses={200: RemoteConsoleResponse,
                   **nova_errors({400: "Invalid body, or a console type this cloud does not serve (only "
                                       "protocol `serial`, type `serial`).",
                                  403: UNSCOPED, 404: "No such server in the project, or microversion below 2.6.",
                                  409: "The server has no running guest (not ACTIVE or PAUSED)."})})
    def post(self, request, server_id):
        if not version_at_least(request, "2.6"):
            raise NotFound("The resource could not be found.")
        if not isinstance(request.data, dict) or not isinstance(request.data.get("remote_console"), dict):
            raise BadRequest("Invalid input: the body must be {\"remote_console\": {\"protocol\", \"type\"}}.")
        data = RemoteConsoleRequest(data=request.data["remote_console"])
        data.is_valid(raise_exception=True)
        console = console_url(context=self.context, server_id=server_id, protocol=data.validated_data["protocol"],
                              console_type=data.validated_data["type"])
        return Response({"remote_console": {k: console[k] for k in ("protocol", "type", "url")}})
