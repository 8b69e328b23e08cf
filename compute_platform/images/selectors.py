"""Image reads, scoped to what the caller may see (Glance's visibility rules)."""
import uuid

from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform

from compute_platform.compute.exceptions import BadRequest, NotFound

from .models import Image

# Exact-match filters of GET /v2/images (owner is the project id).
LIST_FILTERS = ("name", "status", "visibility", "disk_format", "container_format", "owner")


def image_visible(*, context):
    qs = Image.objects.exclude(status="deleted")
    if not context.is_admin:
        qs = qs.filter(Q(visibility__in=("public", "community")) | Q(owner_id=context.project_id))
    return qs


def image_get(*, context, image_id: str) -> Image:
    try:
        uuid.UUID(str(image_id))
    except ValueError:
        image = None
    else:
        image = image_visible(context=context).filter(pk=image_id).first()
    if image is None:
        raise NotFound(f"Image {image_id} could not be found.")
    return image


def image_list(*, context, filters: dict, limit: int, marker: str | None = None,
               ascending: bool = False) -> list[Image]:
    """Visible images newest first (oldest first if `ascending`), keyset-paginated after `marker` (an image
    id), as Glance.

    `filters` holds LIST_FILTERS (exact values), `properties` ({key: value}, exact) and `os_hidden`: Glance lists hidden images only when
    asked (os_hidden true), and then only those.
    """
    qs = image_visible(context=context)
    for field in LIST_FILTERS:
        if filters.get(field):
            qs = qs.filter(**{"owner_id" if field == "owner" else field: filters[field]})
    for i, (key, value) in enumerate((filters.get("properties") or {}).items()):
        if key.startswith("_"):  # the service's own keys are not properties to the caller
            return []
        # The key taken literally (a `__` in it must not become a nested lookup).
        qs = qs.alias(**{f"prop_{i}": KeyTextTransform(key, "properties")}).filter(**{f"prop_{i}": value})
    for field in ("min_ram", "min_disk"):  # at least this much (the compute API's minRam, minDisk)
        if filters.get(field) is not None:
            qs = qs.filter(**{f"{field}__gte": filters[field]})
    if filters.get("os_hidden"):
        qs = qs.filter(properties___os_hidden=True)
    else:  # (a missing key compares as NULL in SQL, so exclude() alone would drop every image)
        qs = qs.filter(~Q(properties__has_key="_os_hidden") | Q(properties___os_hidden=False))
    if marker:
        try:
            anchor = image_get(context=context, image_id=marker)
        except NotFound:
            raise BadRequest(f"marker [{marker}] not found") from None
        if ascending:
            qs = qs.filter(Q(created_at__gt=anchor.created_at) | Q(created_at=anchor.created_at, id__gt=anchor.id))
        else:
            qs = qs.filter(Q(created_at__lt=anchor.created_at) | Q(created_at=anchor.created_at, id__lt=anchor.id))
    order = ("created_at", "id") if ascending else ("-created_at", "-id")
    return list(qs.order_by(*order)[:limit])
