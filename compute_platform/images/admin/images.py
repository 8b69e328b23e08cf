"""Images: metadata editable, deleted softly through the same service as the API."""
from django.contrib import admin

from compute_platform.compute.admin.common import run_per_object

from ..models import Image
from ..services.images import image_delete


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ("name", "id", "status", "visibility", "owner", "disk_format", "size", "protected",
                    "created_at")
    list_filter = ("status", "visibility", "disk_format", "protected")
    list_select_related = ("owner",)
    search_fields = ("name", "=id")
    readonly_fields = ("id", "checksum", "size", "created_at", "updated_at")
    autocomplete_fields = ("owner",)
    actions = ("soft_delete",)

    def has_delete_permission(self, request, obj=None):
        # Images are soft-deleted (Glance keeps the row so servers booted from it still name it).
        return False

    def has_soft_delete_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    @admin.action(description="Delete selected images (soft, as Glance)", permissions=["soft_delete"])
    def soft_delete(self, request, queryset):
        run_per_object(self, request, queryset, lambda context, image: image_delete(context=context, image=image),
                       done_message="Deleted {count} image{s}.", project_of=lambda image: image.owner_id or "")
