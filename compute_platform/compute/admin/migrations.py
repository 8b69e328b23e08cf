"""Moves (os-migrations), read-only: a migration changes only through its steps on the hosts."""
from django.contrib import admin

from ..models import Migration


@admin.register(Migration)
class MigrationAdmin(admin.ModelAdmin):
    list_display = ("id", "instance", "migration_type", "status", "source_host", "dest_host", "old_flavor",
                    "new_flavor", "source_claimed", "dest_claimed", "created_at")
    list_filter = ("migration_type", "status", "source_host", "dest_host")
    list_select_related = ("instance", "source_host", "dest_host", "old_flavor", "new_flavor")
    search_fields = ("=uuid", "=instance__uuid", "request_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
