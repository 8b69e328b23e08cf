"""Flavors."""
from django.contrib import admin

from ..models import Flavor


@admin.register(Flavor)
class FlavorAdmin(admin.ModelAdmin):
    list_display = ("name", "flavorid", "vcpus", "memory_mb", "root_gb", "ephemeral_gb", "swap", "is_public",
                    "created_at")
    list_filter = ("is_public",)
    search_fields = ("name", "flavorid")
    readonly_fields = ("created_at",)
