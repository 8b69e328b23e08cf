"""Attachments: written by the attach/detach services and the hosts' workers; detached here through
volume_detach, as `DELETE /servers/{id}/os-volume_attachments/{volume}` does."""
from django.contrib import admin

from compute_platform.compute.admin.common import ReadOnlyAdminMixin, run_per_object

from ..models import VolumeAttachment
from ..models.attachments import AttachmentStatus
from ..services.attachments import volume_detach
from .volumes import ATTACHMENT_FIELDS


@admin.register(VolumeAttachment)
class VolumeAttachmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "volume", "instance", "host", "device", "status", "created_at", "detached_at")
    list_filter = ("status", "host")
    list_select_related = ("volume", "instance")
    search_fields = ("id", "volume__id", "volume__name", "instance__uuid", "instance__name")
    fields = ("volume",) + ATTACHMENT_FIELDS + ("updated_at",)
    readonly_fields = fields
    actions = ("detach",)

    def has_lifecycle_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    @admin.action(description="Detach selected attachments", permissions=["lifecycle"])
    def detach(self, request, queryset):
        run_per_object(self, request, queryset.filter(status__in=AttachmentStatus.LIVE).select_related("instance"),
                       lambda context, att: volume_detach(context=context, instance=att.instance, attachment=att),
                       done_message="Detach requested for {count} attachment{s}.",
                       project_of=lambda att: att.instance.project_id)
