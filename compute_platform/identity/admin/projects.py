"""Projects and their role assignments."""
from django.contrib import admin
from django.db.models import Count, Q

from compute_platform.compute.states import VmState

from ..models import Project, RoleAssignment


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "id", "domain_id", "enabled", "instance_count", "created_at", "deleted_at")
    list_filter = ("enabled", "domain_id")
    search_fields = ("name", "=id")
    readonly_fields = ("id", "created_at", "deleted_at")
    fields = ("id", "name", "description", "domain_id", "enabled", "created_at", "deleted_at")
    inlines = (RoleAssignmentInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _instance_count=Count("instances", filter=~Q(instances__vm_state=VmState.DELETED)))

    @admin.display(description="instances", ordering="_instance_count")
    def instance_count(self, obj):
        return obj._instance_count


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "project")
    list_filter = ("role", "project")
    list_select_related = ("user", "project")
    search_fields = ("user__username", "project__name")
    autocomplete_fields = ("user", "project")
