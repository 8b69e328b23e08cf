"""Instances and their faults. State changes only through services.instances, as the API does them:
the admin actions below claim the task_state, record an InstanceAction and enqueue to the host."""
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from ..models import Instance, InstanceFault
from ..services.instances import instance_action, instance_delete
from ..states import TaskState, VmState
from .action_log import InstanceActionInline
from .common import ReadOnlyAdminMixin, ReadOnlyInline, SaveChangedFieldsMixin, admin_context, admin_project_id
from .common import run_per_object

FAULT_FIELDS = ("code", "message", "host", "created_at", "details")


class InstanceFaultInline(ReadOnlyInline, admin.TabularInline):
    model = InstanceFault
    fields = FAULT_FIELDS
    readonly_fields = FAULT_FIELDS


def _lifecycle_action(action_key: str, description: str, verb: str):
    """An admin action that runs services.instances.instance_action(action_key) per selected instance."""

    def act(modeladmin, request, queryset):
        run_per_object(modeladmin, request, queryset.select_related("host"),
                       lambda context, inst: instance_action(context=context, instance=inst, action_key=action_key),
                       done_message=f"{verb} requested for {{count}} instance{{s}}.",
                       project_of=lambda inst: inst.project_id)

    act.__name__ = act.__qualname__ = action_key
    return admin.action(description=description, permissions=["lifecycle"])(act)


class StatusFilter(admin.SimpleListFilter):
    """The API's status. Deleted instances are hidden unless asked for (`DELETED`, or `all`)."""

    title, parameter_name = "status", "status"
    STATUSES = ("ACTIVE", "BUILD", "SHUTOFF", "PAUSED", "SUSPENDED", "REBOOT", "HARD_REBOOT", "ERROR", "DELETED")

    def lookups(self, request, model_admin):
        return [(None, "All but deleted")] + [(s, s) for s in self.STATUSES] + [("all", "All, deleted included")]

    def choices(self, changelist):
        for value, title in self.lookup_choices:  # our own "All but deleted" replaces the stock "All"
            yield {"selected": self.value() == value,
                   "query_string": changelist.get_query_string(remove=[self.parameter_name]) if value is None
                   else changelist.get_query_string({self.parameter_name: value}), "display": title}

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        if value is None:
            return queryset.exclude(vm_state=VmState.DELETED)
        if value == "HARD_REBOOT":
            return queryset.filter(task_state=TaskState.REBOOTING_HARD)
        if value == "REBOOT":
            return queryset.filter(vm_state=VmState.ACTIVE, task_state=TaskState.REBOOTING)
        vm_state = {"ACTIVE": VmState.ACTIVE, "BUILD": VmState.BUILDING, "SHUTOFF": VmState.STOPPED,
                    "PAUSED": VmState.PAUSED, "SUSPENDED": VmState.SUSPENDED, "ERROR": VmState.ERROR,
                    "DELETED": VmState.DELETED}.get(value)
        if vm_state is None:
            return queryset.none()
        queryset = queryset.filter(vm_state=vm_state)
        if vm_state != VmState.DELETED:  # server_status: a hard reboot shows whatever the vm_state
            queryset = queryset.exclude(task_state=TaskState.REBOOTING_HARD)
        if vm_state == VmState.ACTIVE:
            queryset = queryset.exclude(task_state=TaskState.REBOOTING)
        return queryset


@admin.register(Instance)
class InstanceAdmin(SaveChangedFieldsMixin, admin.ModelAdmin):
    list_display = ("name", "uuid", "status", "vm_state", "task_state", "power_state", "host", "project", "flavor",
                    "created_at")
    list_filter = (StatusFilter, "task_state", "host", "project")  # status covers vm_state
    list_select_related = ("host", "project", "flavor")
    search_fields = ("name", "uuid")
    date_hierarchy = "created_at"
    editable_fields = ("name", "metadata")
    fieldsets = (
        (None, {"fields": ("name", "uuid", "status", "console", "project", "user", "metadata", "key_name")}),
        ("State (changed only by the actions and the host's worker)", {"fields": (
            ("vm_state", "task_state", "power_state"), "host", "availability_zone", "resources_claimed")}),
        ("Size", {"fields": ("flavor", "image", ("vcpus", "memory_mb", "root_gb"))}),
        ("Times", {"fields": (("created_at", "updated_at"), ("launched_at", "terminated_at", "deleted_at"))}),
        ("User data", {"classes": ("collapse",), "fields": ("user_data",)}),
    )
    inlines = (InstanceFaultInline, InstanceActionInline)
    actions = (
        _lifecycle_action("start", "Start selected instances", "Start"),
        _lifecycle_action("stop", "Stop selected instances", "Stop"),
        _lifecycle_action("reboot", "Reboot selected instances (soft)", "Reboot"),
        _lifecycle_action("reboot_hard", "Hard reboot selected instances", "Hard reboot"),
        "delete_instances",
    )

    def get_readonly_fields(self, request, obj=None):
        return tuple(f.name for f in Instance._meta.concrete_fields
                     if f.name not in self.editable_fields and f.name != "id") + ("status", "console")

    @admin.display(description="status")
    def status(self, instance):
        return instance.status

    @admin.display(description="serial console")
    def console(self, instance):
        if instance.vm_state not in (VmState.ACTIVE, VmState.PAUSED):
            return "(only while ACTIVE or PAUSED)"
        return format_html('<a class="button" id="open-serial-console" href="{}">Open the serial console</a>',
                           reverse("console:serial", args=[instance.uuid]))

    # --- no hand-made rows, no row removal: deleting is the instance_delete service -----------------

    def has_add_permission(self, request):
        return False  # instances are booted through the API (scheduling, claims, the build on a host)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_lifecycle_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        # Unreachable while has_delete_permission is False; kept so no path ever removes the row.
        self.delete_queryset(request, Instance.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        scope = admin_project_id(request.user)
        for instance in queryset.select_related("host"):
            instance_delete(context=admin_context(request, project_id=scope or instance.project_id),
                            instance=instance)

    @admin.action(description="Delete selected instances", permissions=["lifecycle"])
    def delete_instances(self, request, queryset):
        queryset = queryset.select_related("host")
        for instance in queryset:
            if instance.vm_state == VmState.DELETED:
                self.message_user(request, f"{instance}: already deleted.", level=messages.WARNING)
        run_per_object(self, request, [i for i in queryset if i.vm_state != VmState.DELETED],
                       lambda context, inst: instance_delete(context=context, instance=inst),
                       done_message="Delete requested for {count} instance{s}.",
                       project_of=lambda inst: inst.project_id)


@admin.register(InstanceFault)
class InstanceFaultAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("instance", "code", "message", "host", "created_at")
    list_filter = ("code", "host")
    list_select_related = ("instance",)
    search_fields = ("instance__name", "instance__uuid", "message")
    fields = ("instance",) + FAULT_FIELDS
    readonly_fields = fields
