"""Volumes: written by the API's services and the volume service; deleted here through volume_delete."""
from django.contrib import admin

from compute_platform.compute.admin.common import ReadOnlyAdminMixin, ReadOnlyInline, run_per_object

from ..models import Volume, VolumeAttachment
from ..models.volumes import VolumeStatus
from ..services.volumes import volume_delete

ATTACHMENT_FIELDS = ("id", "instance", "host", "device", "status", "request_id", "created_at", "detached_at")


class AttachmentInline(ReadOnlyInline, admin.TabularInline):
    model = VolumeAttachment
    fields = ATTACHMENT_FIELDS
    readonly_fields = ATTACHMENT_FIELDS
    ordering = ("-created_at",)


@admin.register(Volume)
class VolumeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "id", "status", "size", "multiattach", "export", "project", "created_at")
    list_filter = ("status", "multiattach", "export")
    list_select_related = ("export", "project")
    search_fields = ("id", "name")
    readonly_fields = ("id", "name", "description", "project", "user", "export", "size", "status", "multiattach",
                       "availability_zone", "metadata", "created_at", "updated_at", "deleted_at")
    fields = readonly_fields
    inlines = (AttachmentInline,)
    actions = ("delete_volumes",)

    def has_lifecycle_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete selected volumes (their files on the exports)", permissions=["lifecycle"])
    def delete_volumes(self, request, queryset):
        run_per_object(self, request, queryset.exclude(status=VolumeStatus.DELETED),
                       lambda context, vol: volume_delete(context=context, volume=vol),
                       done_message="Delete requested for {count} volume{s}.", project_of=lambda vol: vol.project_id)
