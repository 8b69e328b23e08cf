"""Compute hosts. Capacity, claims and heartbeats are written by workers and the scheduler only."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_POST

from ..models import Host, Instance
from ..services.hosts import host_set_enabled
from ..services.instance_moves import instance_evacuate
from ..states import VmState
from .common import SaveChangedFieldsMixin, run_per_object


@admin.register(Host)
class HostAdmin(SaveChangedFieldsMixin, admin.ModelAdmin):
    list_display = ("name", "state", "enabled", "availability_zone", "vcpus_usage", "memory_usage", "disk_usage",
                    "running_vms", "last_heartbeat")
    list_filter = ("enabled", "availability_zone", "hypervisor_type", "forced_down")
    search_fields = ("name", "host_ip")
    # availability_zone follows the host's aggregates (services.aggregates): changed there, never here.
    readonly_fields = ("name", "state", "hypervisor_type", "hypervisor_version", "host_ip", "vcpus", "memory_mb",
                       "disk_gb", "vcpus_used", "memory_mb_used", "disk_gb_used", "enabled", "disabled_reason",
                       "availability_zone", "last_heartbeat", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "state", "enabled", "disabled_reason", "forced_down", "availability_zone",
                           "last_heartbeat")}),
        ("Hypervisor", {"fields": ("hypervisor_type", "hypervisor_version", "host_ip")}),
        ("Capacity (reported by the driver) and claims (written by the scheduler)", {"fields": (
            ("vcpus", "vcpus_used", "cpu_allocation_ratio"), ("memory_mb", "memory_mb_used", "ram_allocation_ratio"),
            ("disk_gb", "disk_gb_used", "disk_allocation_ratio"))}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    actions = ("enable", "disable")
    change_form_template = "console/host_change_form.html"  # an Evacuate button on a down host's page

    class Media:
        css = {"all": ("console/console.css",)}

    def has_add_permission(self, request):
        return False  # a host's worker registers it when it starts

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _running_vms=Count("instances", filter=~Q(instances__vm_state=VmState.DELETED)))

    @admin.display(description="state")
    def state(self, host):
        return "up" if host.is_up else "down"

    # Capacity as bars: used against what the allocation ratios allow (the operator console's bar).
    def _bar(self, host, kind: str):
        from compute_platform.console.selectors import host_capacities

        return render_to_string("console/_bar.html", {"c": host_capacities(host)[kind]})

    @admin.display(description="vCPUs used / allowed", ordering="vcpus_used")
    def vcpus_usage(self, host):
        return self._bar(host, "vcpu")

    @admin.display(description="RAM used / allowed", ordering="memory_mb_used")
    def memory_usage(self, host):
        return self._bar(host, "ram")

    @admin.display(description="disk used / allowed", ordering="disk_gb_used")
    def disk_usage(self, host):
        return self._bar(host, "disk")

    @admin.display(description="instances", ordering="_running_vms")
    def running_vms(self, host):
        return host._running_vms

    @admin.action(description="Enable selected hosts for scheduling", permissions=["change"])
    def enable(self, request, queryset):
        hosts = [host_set_enabled(host=host, enabled=True) for host in queryset]
        self.message_user(request, f"Enabled {len(hosts)} host{'s' if len(hosts) != 1 else ''}.", messages.INFO)

    @admin.action(description="Disable selected hosts for scheduling", permissions=["change"])
    def disable(self, request, queryset):
        reason = f"disabled by {request.user.get_username()} in the admin console"
        hosts = [host_set_enabled(host=host, enabled=False, reason=reason) for host in queryset]
        self.message_user(request, f"Disabled {len(hosts)} host{'s' if len(hosts) != 1 else ''}.", messages.INFO)

    # -- evacuate: a down host's instances rebuilt elsewhere, through the service os-evacuate uses -----------

    @staticmethod
    def _evacuable(host):
        return Instance.objects.filter(host=host).exclude(vm_state=VmState.DELETED).select_related("host", "flavor")

    def get_urls(self):
        evacuate = self.admin_site.admin_view(require_POST(self.evacuate_view))
        return [path("<path:object_id>/evacuate/", evacuate, name="compute_host_evacuate"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        host = self.get_object(request, object_id)
        evacuable = 0
        if host is not None and not host.is_up and self.has_change_permission(request, host):
            evacuable = self._evacuable(host).count()
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "evacuable": evacuable})

    def evacuate_view(self, request, object_id):
        host = get_object_or_404(Host, pk=object_id)
        if not self.has_change_permission(request, host):
            raise PermissionDenied
        if host.is_up:
            self.message_user(request, f"Host {host.name} is up: only a down host's instances are evacuated.",
                              messages.WARNING)
        else:
            run_per_object(self, request, list(self._evacuable(host)),
                           lambda context, inst: instance_evacuate(context=context, instance=inst),
                           done_message=f"Evacuating {{count}} instance{{s}} from {host.name}.",
                           project_of=lambda inst: inst.project_id)
        return redirect("admin:compute_host_change", host.pk)
