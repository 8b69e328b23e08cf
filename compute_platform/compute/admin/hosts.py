"""Compute hosts. Capacity, claims and heartbeats are written by workers and the scheduler only."""
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.template.loader import render_to_string

from ..models import Host
from ..services.hosts import host_set_enabled
from ..states import VmState
from .common import SaveChangedFieldsMixin


@admin.register(Host)
class HostAdmin(SaveChangedFieldsMixin, admin.ModelAdmin):
    list_display = ("name", "state", "enabled", "availability_zone", "vcpus_usage", "memory_usage", "disk_usage",
                    "running_vms", "last_heartbeat")
    list_filter = ("enabled", "availability_zone", "hypervisor_type", "forced_down")
    search_fields = ("name", "host_ip")
    readonly_fields = ("name", "state", "hypervisor_type", "hypervisor_version", "host_ip", "vcpus", "memory_mb",
                       "disk_gb", "vcpus_used", "memory_mb_used", "disk_gb_used", "enabled", "disabled_reason",
                       "last_heartbeat", "created_at", "updated_at")
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
