"""The serial console in the browser: xterm.js joined to the serial proxy's websocket by a fresh token."""
from datetime import datetime, timezone

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from compute_platform.compute.admin.common import admin_context, admin_project_id
from compute_platform.compute.exceptions import ComputeError
from compute_platform.compute.selectors import instance_get
from compute_platform.compute.services.consoles import console_token_create


def serial_console(request, instance_uuid: str):
    # Operators only: the console types into the guest as root would (members use the API's console URL).
    if not request.user.has_perm("compute.change_instance"):
        raise PermissionDenied
    context = admin_context(request, project_id=admin_project_id(request.user) or "")
    instance = instance_get(context=context, instance_uuid=instance_uuid)
    console, error = None, None
    try:
        console = console_token_create(context=context, instance=instance)
        console["expires"] = datetime.fromtimestamp(console["expires_at"], tz=timezone.utc)
    except ComputeError as exc:
        error = exc.message
    return TemplateResponse(request, "console/serial.html", {
        **admin.site.each_context(request), "title": f"Serial console of {instance.name}", "instance": instance,
        "console": console, "error": error}, status=200 if console else 409)
