"""Projects, role assignments and tokens (Keystone's side)."""
from django.contrib import admin, messages
from django.db.models import Count, Q

from ..models import Project, RoleAssignment, Token
from ..services.identity import token_revoke
from ..states import VmState


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "id", "domain_id", "enabled", "instance_count", "created_at")
    list_filter = ("enabled", "domain_id")
    search_fields = ("name", "=id")
    readonly_fields = ("id", "created_at")
    fields = ("id", "name", "description", "domain_id", "enabled", "created_at")
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


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    """Read-only. The hash is never shown: it is the lookup key for a live token."""

    list_display = ("audit_id", "user", "project", "roles", "issued_at", "expires_at", "revoked")
    list_filter = ("revoked", "project")
    list_select_related = ("user", "project")
    search_fields = ("user__username", "audit_id", "project__name")
    date_hierarchy = "issued_at"
    fields = ("audit_id", "user", "project", "roles", "methods", "issued_at", "expires_at", "revoked")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        # Model-level change permission: revoking is the one change an admin makes to a token.
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    def get_actions(self, request):
        # Deleting stays possible (so a user's or project's deletion can cascade), but revoking is
        # the way to end a token; bulk delete is not offered.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset:
            token_revoke(token=token)
            count += 1
        self.message_user(request, f"Revoked {count} token{'s' if count != 1 else ''}.", level=messages.INFO)
