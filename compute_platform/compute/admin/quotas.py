"""Per-project quota overrides. An empty field means the default (QUOTA_* settings)."""
from django.contrib import admin

from ..models import ProjectQuota
from ..models.quotas import QUOTA_RESOURCES


@admin.register(ProjectQuota)
class ProjectQuotaAdmin(admin.ModelAdmin):
    list_display = ("project",) + QUOTA_RESOURCES[:7] + ("updated_at",)
    list_select_related = ("project",)
    search_fields = ("project__name", "=project__id")
    autocomplete_fields = ("project",)
    fields = ("project",) + QUOTA_RESOURCES + ("updated_at",)
    readonly_fields = ("updated_at",)
