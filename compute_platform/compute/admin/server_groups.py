"""Server groups and their members. Membership changes only by booting into a group (the scheduler
honours the policy) or deleting; the policy of a group with members is not editable."""
from django.contrib import admin
from django.db.models import Count, Q

from ..models import Instance, ServerGroup
from ..states import VmState
from .common import ReadOnlyInline


class MemberInline(ReadOnlyInline, admin.TabularInline):
    model = Instance
    fk_name = "server_group"
    fields = ("name", "uuid", "vm_state", "host")
    readonly_fields = fields
    show_change_link = True
    verbose_name, verbose_name_plural = "member", "members"

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(vm_state=VmState.DELETED).select_related("host")


@admin.register(ServerGroup)
class ServerGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "uuid", "policy", "project", "member_count", "created_at")
    list_filter = ("policy", "project")
    list_select_related = ("project",)
    search_fields = ("name", "=uuid")
    fields = ("name", "uuid", "policy", "rules", "project", "user", "created_at")
    readonly_fields = ("uuid", "policy", "rules", "project", "user", "created_at")
    inlines = (MemberInline,)

    def has_add_permission(self, request):
        return False  # created through the API (quota counted under the project's lock)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _members=Count("members", filter=~Q(members__vm_state=VmState.DELETED)))

    @admin.display(description="members", ordering="_members")
    def member_count(self, group):
        return group._members
