"""The overview: the admin site's landing page (/admin/), its panels refreshed by htmx every few seconds."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from compute_platform.compute.selectors_hosts import host_get_by_name
from compute_platform.compute.services.hosts import host_set_enabled

from . import selectors

REFRESH_SECONDS = 5


def _panels_context(request) -> dict:
    show_deleted = request.GET.get("deleted") == "1"
    return {"o": selectors.overview(show_deleted=show_deleted), "show_deleted": show_deleted,
            "refresh_seconds": REFRESH_SECONDS, "can_toggle_hosts": request.user.has_perm("compute.change_host")}


def _may_view(user) -> bool:
    return user.has_perm("compute.view_instance") and user.has_perm("compute.view_host")


def overview(request):
    if not _may_view(request.user):
        return admin.site.index(request)  # the stock index: only the models this staff user may see
    return TemplateResponse(request, "console/overview.html", {
        **admin.site.each_context(request), "title": "Overview", **_panels_context(request)})


def overview_panels(request):
    """The panels alone, for htmx to swap in."""
    if not _may_view(request.user):
        raise PermissionDenied
    return TemplateResponse(request, "console/overview_panels.html", _panels_context(request))


@require_POST
def host_toggle(request, host_name: str, verb: str):
    """Enable or disable a host for scheduling, through the same service as os-services."""
    if not request.user.has_perm("compute.change_host") or verb not in ("enable", "disable"):
        raise PermissionDenied
    host = host_get_by_name(name=host_name)
    reason = None if verb == "enable" else f"disabled by {request.user.get_username()} in the admin console"
    host_set_enabled(host=host, enabled=verb == "enable", reason=reason)
    messages.info(request, f"Host {host.name} {verb}d.")
    return redirect("console:overview")
