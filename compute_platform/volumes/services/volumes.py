"""Volume requests from the API (create, delete) and what the volume service records as it makes or
removes the file. The file is written by the `volume` queue's worker (tasks/volumes.py) on an export it
mounts through its own MountManager."""
import logging

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from compute_platform import tasknames
from compute_platform.compute.exceptions import BadRequest
from compute_platform.db_retry import db_retry

from ..models import Export, Volume, VolumeAttachment
from ..models.attachments import AttachmentStatus
from ..models.volumes import VolumeStatus

logger = logging.getLogger(__name__)

MAX_SIZE_GB = 16384
GIB = 1 << 30


def export_choose() -> Export:
    """The enabled export holding the fewest volumes (a simple spread; volume types may pick later)."""
    export = (Export.objects.filter(enabled=True)
              .annotate(n=Count("volumes", filter=~Q(volumes__status=VolumeStatus.DELETED)))
              .order_by("n", "name").first())
    if export is None:
        # Cinder answers a backend-less create with a volume in `error`; an operator learns more from a 400.
        raise BadRequest("No enabled export to create the volume on: an administrator must add one "
                         "(POST /api/v1/exports or the admin console).")
    return export


def _image_metadata(image, size: int) -> dict:
    """Cinder's volume_image_metadata of a volume made from `image`; 400 when the image cannot be one."""
    if image.status != "active":
        raise BadRequest(f"Invalid image: image {image.id} is not active (it is {image.status}).")
    if (image.size or 0) > size * GIB or image.min_disk > size:
        raise BadRequest(f"Invalid input received: Size of specified image {image.id} is larger than volume "
                         f"size {size} GiB (or its min_disk is).")
    return {"image_id": str(image.id), "image_name": image.name, "disk_format": image.disk_format,
            "container_format": image.container_format, "checksum": image.checksum or "",
            "min_ram": str(image.min_ram), "min_disk": str(image.min_disk), "size": str(image.size or 0)}


def volume_create(*, context, size: int, name: str = "", description: str = "", multiattach: bool = False,
                  availability_zone: str | None = None, metadata: dict | None = None, image=None) -> Volume:
    """Record the volume on the chosen export and have the volume service make its file: blank
    (`creating`), or, with `image` (an Image row the caller may see), a bootable copy of it (`downloading`)."""
    from compute_platform.compute.services.dispatch import task_enqueue_on_commit

    if size < 1 or size > MAX_SIZE_GB:
        raise BadRequest(f"Invalid input received: size must be an integer between 1 and {MAX_SIZE_GB} GiB.")
    image_metadata = _image_metadata(image, size) if image is not None else {}
    with transaction.atomic():
        export = export_choose()
        volume = Volume.objects.create(
            name=name or "", description=description or "", project_id=context.project_id,
            user_id=context.user_id, export=export, size=size, multiattach=multiattach,
            availability_zone=availability_zone or "nova", metadata=metadata or {},
            status=VolumeStatus.DOWNLOADING if image is not None else VolumeStatus.CREATING,
            bootable=image is not None, image_metadata=image_metadata)
        task_enqueue_on_commit(task_name=tasknames.CREATE_VOLUME, queue=tasknames.VOLUME_QUEUE,
                               kwargs={"volume_id": str(volume.id), "request_id": context.request_id})
    logger.info("volume %s (%d GiB) requested on export %s by %s", volume.id, size, export.pk, context.request_id)
    return volume


def volume_delete(*, context, volume: Volume) -> None:
    """Start deleting the volume's file. 400 unless it is available (or failed) with no live attachment,
    as Cinder refuses to delete an attached volume."""
    from compute_platform.compute.services.dispatch import task_enqueue_on_commit

    with transaction.atomic():
        live = VolumeAttachment.objects.filter(volume_id=volume.id, status__in=AttachmentStatus.LIVE).exists()
        claimed = not live and Volume.objects.filter(pk=volume.pk, status__in=VolumeStatus.DELETABLE).update(
            status=VolumeStatus.DELETING, updated_at=timezone.now())
        if not claimed:
            current = Volume.objects.filter(pk=volume.pk).values_list("status", flat=True).first()
            if current == VolumeStatus.DELETING:
                return  # a repeated DELETE is accepted and changes nothing
            raise BadRequest(f"Invalid volume: Volume {volume.id} status must be available or error or "
                             f"error_deleting and must not be attached (it is {current}).")
        task_enqueue_on_commit(task_name=tasknames.DELETE_VOLUME, queue=tasknames.VOLUME_QUEUE,
                               kwargs={"volume_id": str(volume.id), "request_id": context.request_id})
    logger.info("volume %s: delete requested (%s)", volume.id, context.request_id)


# --- what the volume service records ---------------------------------------------------------------

@db_retry
def volume_create_finished(*, volume_id: str, error: str | None = None) -> bool:
    """creating (or downloading) -> available (or error). False if the volume was no longer being made."""
    status = VolumeStatus.ERROR if error else VolumeStatus.AVAILABLE
    done = Volume.objects.filter(pk=volume_id, status__in=VolumeStatus.MAKING).update(
        status=status, updated_at=timezone.now()) == 1
    if done and error:
        logger.error("volume %s: create failed: %s", volume_id, error)
    return done


@db_retry
def volume_delete_finished(*, volume_id: str, error: str | None = None) -> bool:
    """deleting -> deleted (or error_deleting)."""
    now = timezone.now()
    values = {"status": VolumeStatus.ERROR_DELETING} if error else {"status": VolumeStatus.DELETED, "deleted_at": now}
    done = Volume.objects.filter(pk=volume_id, status=VolumeStatus.DELETING).update(updated_at=now, **values) == 1
    if done and error:
        logger.error("volume %s: delete failed: %s", volume_id, error)
    return done


def volume_set_bootable(*, context, volume: Volume, bootable: bool) -> None:
    """Cinder's os-set_bootable: whether a server may boot from the volume (checked at server create)."""
    Volume.objects.filter(pk=volume.pk).update(bootable=bootable, updated_at=timezone.now())
    logger.info("volume %s: bootable set to %s (%s)", volume.id, bootable, context.request_id)


def volume_status_refresh(*, volume_id) -> str:
    """Derive an attachable volume's status from its attachments, under the volume's row lock:
    any attached -> in-use; else any attaching -> attaching; else any detaching -> detaching; else available.
    A volume being created or deleted, or failed, keeps its status."""
    with transaction.atomic():
        volume = Volume.objects.select_for_update().only("status").get(pk=volume_id)
        if volume.status not in VolumeStatus.ATTACHMENT_DRIVEN:
            return volume.status
        statuses = set(VolumeAttachment.objects.filter(volume_id=volume_id, status__in=AttachmentStatus.LIVE)
                       .values_list("status", flat=True))
        if AttachmentStatus.ATTACHED in statuses:
            status = VolumeStatus.IN_USE
        elif AttachmentStatus.ATTACHING in statuses:
            status = VolumeStatus.ATTACHING
        elif AttachmentStatus.DETACHING in statuses:
            status = VolumeStatus.DETACHING
        else:
            status = VolumeStatus.AVAILABLE
        if status != volume.status:
            Volume.objects.filter(pk=volume_id).update(status=status, updated_at=timezone.now())
    return status


def volume_redrive_touch(*, volume_id, status: str) -> bool:
    """Before its work is re-sent: touch updated_at (spacing out repeats), only if the status did not move."""
    return Volume.objects.filter(pk=volume_id, status=status).update(updated_at=timezone.now()) == 1
