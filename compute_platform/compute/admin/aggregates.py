"""Host aggregates, read-only: they change through os-aggregates, whose services keep each member host's
availability zone in step with the aggregate's `availability_zone` metadata (an edit here would not)."""
from django.contrib import admin

from ..models import Aggregate
from .common import ReadOnlyAdminMixin


@admin.register(Aggregate)
class AggregateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "id", "availability_zone", "host_names", "created_at", "updated_at")
    search_fields = ("name", "=uuid", "hosts__name")
    fields = ("name", "id", "uuid", "availability_zone", "host_names", "metadata", "created_at", "updated_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("hosts")

    @admin.display(description="hosts")
    def host_names(self, aggregate):
        return ", ".join(h.name for h in aggregate.hosts.all()) or "-"
