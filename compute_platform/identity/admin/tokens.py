"""Tokens: read-only, revocable."""
from django.contrib import admin, messages

from ..models import Token
from ..services.tokens import token_revoke


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
