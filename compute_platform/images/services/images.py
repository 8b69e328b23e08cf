"""Glance image records and their data.

Data lives in one file per image, `<IMAGE_DIR>/<image id>`, written to a temporary name and renamed
into place, so a reader never sees half an image. Its path is the hidden property `_data_path` (keys
starting with `_` never leave the API), which the compute tasks read (tasks/specs.py). `kernel_id` and
`ramdisk_id` are ordinary public properties naming other images; their data is at those images'
`_data_path`.
"""
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction

from compute_platform.compute.exceptions import BadRequest, ComputeError, Conflict, Forbidden
from compute_platform.compute.services.quotas import quota_check_metadata, quota_limits

from ..models import Image
from ..selectors import image_get

logger = logging.getLogger(__name__)

CORE = ("name", "disk_format", "container_format", "min_disk", "min_ram", "protected", "visibility")
# Public properties that name another image (the libvirt driver boots a kernel + initramfs through them).
IMAGE_REFERENCES = ("kernel_id", "ramdisk_id")
HASH_ALGO = "sha512"  # Glance's default os_hash_algo
CHUNK = 1 << 20


class PayloadTooLarge(ComputeError):
    code = 413
    fault = "overLimit"


def _check_references(*, context, properties: dict) -> None:
    for key in IMAGE_REFERENCES:
        if key in properties:
            try:
                image_get(context=context, image_id=properties[key])
            except ComputeError:
                raise BadRequest(f"Property '{key}' must name an existing image; "
                                 f"{properties[key]!r} is not one.") from None


def image_create(*, context, fields: dict, properties: dict, status: str = "queued") -> Image:
    # The model's default ("public", for seeded images) must not apply to uploads: Glance defaults
    # to "shared", so a member's image stays in its project unless it asks otherwise.
    fields = {"visibility": "shared", **fields}
    if fields.get("visibility") == "public" and not context.is_admin:
        raise Forbidden("Only administrators may publish public images.")
    _check_references(context=context, properties=properties)
    image = Image.objects.create(owner_id=context.project_id or None, status=status, properties=properties,
                                 **{k: v for k, v in fields.items() if k in CORE})
    logger.info("image %s created (%s) by project %s", image.id, image.status, context.project_id)
    return image


def _may_modify(context, image: Image) -> None:
    if not context.is_admin and image.owner_id != context.project_id:
        raise Forbidden(f"You are not permitted to modify image {image.id}.")


def image_data_path(*, image_id) -> Path:
    return Path(settings.IMAGE_DIR) / str(image_id)


def image_upload(*, context, image: Image, stream, content_length: int | None = None) -> Image:
    """Store the image's data from `stream` (anything with read(n)): queued -> saving -> active.

    Answers 409 unless the image is queued (claimed with one conditional UPDATE, so two uploads never
    both write), 413 past IMAGE_SIZE_CAP, 400 when the body is shorter than its Content-Length. A failed
    upload leaves no file and puts the image back to queued, so it may be retried, as Glance.
    """
    _may_modify(context, image)
    if content_length is not None and content_length > settings.IMAGE_SIZE_CAP:
        raise PayloadTooLarge(f"Image size {content_length} exceeds the limit of {settings.IMAGE_SIZE_CAP} bytes.")
    if not Image.objects.filter(pk=image.pk, status="queued").update(status="saving"):
        image.refresh_from_db(fields=["status"])
        raise Conflict(f"Image status transition from {image.status} to saving is not allowed")
    return _store(image, stream, content_length)


def _store(image: Image, stream, content_length: int | None) -> Image:
    """Write the data of an image claimed `saving` and make it active; on failure back to queued."""
    directory = Path(settings.IMAGE_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{image.id}.", suffix=".part")
    md5, digest, size = hashlib.md5(usedforsecurity=False), hashlib.new(HASH_ALGO), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > settings.IMAGE_SIZE_CAP:
                    raise PayloadTooLarge(f"Image exceeds the limit of {settings.IMAGE_SIZE_CAP} bytes.")
                md5.update(chunk)
                digest.update(chunk)
                out.write(chunk)
            if content_length is not None and size != content_length:
                raise BadRequest(f"Image data ended after {size} of {content_length} bytes.")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_name, 0o644)  # QEMU reads it as its own user
        final = image_data_path(image_id=image.id)
        os.replace(tmp_name, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        Image.objects.filter(pk=image.pk, status="saving").update(status="queued")
        logger.warning("image %s upload failed after %d bytes; back to queued", image.id, size)
        raise
    with transaction.atomic():
        locked = Image.objects.select_for_update().get(pk=image.pk)
        if locked.status != "saving":  # deleted while the data streamed in
            final.unlink(missing_ok=True)
            raise Conflict(f"Image {image.id} was {locked.status} during the upload.")
        locked.properties = {**(locked.properties or {}), "_data_path": str(final),
                             "_os_hash_algo": HASH_ALGO, "_os_hash_value": digest.hexdigest()}
        locked.status, locked.size, locked.checksum = "active", size, md5.hexdigest()
        locked.save(update_fields=["properties", "status", "size", "checksum", "updated_at"])
    logger.info("image %s active: %d bytes at %s", image.id, size, final)
    return locked


def image_delete(*, context, image: Image) -> None:
    if not context.is_admin and image.owner_id != context.project_id:
        raise Forbidden("You are not permitted to delete this image.")
    if image.protected:
        raise Forbidden(f"Image {image.id} is protected and cannot be deleted.")
    _soft_delete(image)


def _soft_delete(image: Image) -> None:
    # Soft delete, as Glance: servers booted from it keep naming it. The data goes.
    data_path = (image.properties or {}).pop("_data_path", None)
    image.status = "deleted"
    image.save(update_fields=["status", "properties", "updated_at"])
    if data_path:
        transaction.on_commit(lambda: Path(data_path).unlink(missing_ok=True))
        logger.info("image %s deleted with its data %s", image.id, data_path)


def image_metadata_edit(*, context, image: Image, edit) -> dict:
    """Change the image's user properties (those not starting with `_`, which are the service's own) with
    `edit(properties) -> properties`, under the row's lock so concurrent edits do not lose each other's
    keys. Only the owner or an admin may; more than the project's metadata_items quota is a 403, as
    Nova's image metadata API. Returns the new user properties."""
    _may_modify(context, image)
    with transaction.atomic():
        row = Image.objects.select_for_update().get(pk=image.pk)
        props = row.properties or {}
        user = edit({k: v for k, v in props.items() if not k.startswith("_")})
        quota_check_metadata(limits=quota_limits(project_id=context.project_id), items=len(user))
        row.properties = {**{k: v for k, v in props.items() if k.startswith("_")}, **user}
        row.save(update_fields=["properties", "updated_at"])
    logger.info("image %s metadata set by project %s: %d items", image.id, context.project_id, len(user))
    return user
# --- server snapshots (createImage, shelve): the compute side makes the image, a host fills it ---------

def image_snapshot_create(*, context, instance, name: str, metadata: dict | None = None,
                          extra: dict | None = None) -> Image:
    """The queued record of a server's snapshot, as Nova's compute API creates it before the host writes the
    data: private to the server's project, qcow2, with the base image's properties (its kernel and
    ramdisk, so the snapshot boots as the server did) and Nova's `image_type`/`instance_uuid`."""
    base = instance.image
    props = {k: v for k, v in ((base.properties or {}) if base else {}).items() if not k.startswith("_")}
    props.update({"image_type": "snapshot", "instance_uuid": str(instance.uuid), "user_id": str(context.user_id),
                  "base_image_ref": str(base.id) if base else ""}, **(metadata or {}), **(extra or {}))
    image = Image.objects.create(
        name=name, status="queued", visibility="private", owner_id=instance.project_id, disk_format="qcow2",
        container_format="bare", min_disk=instance.root_gb, min_ram=base.min_ram if base else 0, properties=props)
    logger.info("image %s queued: snapshot of instance %s (%s)", image.id, instance.uuid, context.request_id)
    return image


def image_store_file(*, image_id, path: str) -> Image | None:
    """A host's snapshot file becomes the image's data (queued -> saving -> active). None (and nothing
    stored) when the image is no longer queued: deleted meanwhile, or already stored by a repeat. `saving` is
    taken too: a host killed mid-store left it so, and only that host's (serialized) redo writes it."""
    if not Image.objects.filter(pk=image_id, status__in=("queued", "saving")).update(status="saving"):
        logger.info("image %s: snapshot data not stored, the image is no longer queued", image_id)
        return None
    image = Image.objects.get(pk=image_id)
    with open(path, "rb") as data:
        return _store(image, data, None)


def image_kill(*, image_id) -> None:
    """A snapshot that failed: Glance's `killed`, data gone (an active one, already complete, stays)."""
    Image.objects.filter(pk=image_id, status__in=("queued", "saving")).update(status="killed")


def image_discard(*, image_id) -> None:
    """The system's own delete of an image it made (a shelved server's snapshot after unshelve or delete)."""
    image = Image.objects.filter(pk=image_id).exclude(status="deleted").first()
    if image is not None:
        _soft_delete(image)


def image_backups_rotate(*, instance_uuid: str, backup_type: str, rotation: int) -> list:
    """Delete the server's backups of `backup_type` beyond the newest `rotation` (Nova's _rotate_backups);
    returns the ids deleted."""
    backups = (Image.objects.exclude(status="deleted")
               .filter(properties__contains={"image_type": "backup", "backup_type": backup_type,
                                             "instance_uuid": str(instance_uuid)})
               .order_by("-created_at", "-id"))
    excess = list(backups[rotation:])
    for image in excess:
        _soft_delete(image)
    if excess:
        logger.info("instance %s: %d %r backups beyond the rotation of %d deleted: %s", instance_uuid, len(excess),
                    backup_type, rotation, ", ".join(str(i.id) for i in excess))
    return [i.id for i in excess]
