"""Glance image records (metadata). Image data upload arrives with the clients issue."""
from ..exceptions import Forbidden
from ..models import Image

CORE = ("name", "disk_format", "container_format", "min_disk", "min_ram", "protected", "visibility")


def image_create(*, context, fields: dict, properties: dict, status: str = "queued") -> Image:
    # The model's default ("public", for seeded images) must not apply to uploads: Glance defaults
    # to "shared", so a member's image stays in its project unless it asks otherwise.
    fields = {"visibility": "shared", **fields}
    if fields.get("visibility") == "public" and not context.is_admin:
        raise Forbidden("Only administrators may publish public images.")
    return Image.objects.create(owner_id=context.project_id or None, status=status, properties=properties,
                                **{k: v for k, v in fields.items() if k in CORE})


def image_delete(*, context, image: Image) -> None:
    if not context.is_admin and image.owner_id != context.project_id:
        raise Forbidden("You are not permitted to delete this image.")
    if image.protected:
        raise Forbidden(f"Image {image.id} is protected and cannot be deleted.")
    # Soft delete, as Glance: servers booted from it keep naming it.
    image.status = "deleted"
    image.save(update_fields=["status", "updated_at"])
