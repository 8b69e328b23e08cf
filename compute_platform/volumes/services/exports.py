"""Exports, managed by administrators (the API's /api/v1/exports and the admin console)."""
import logging

from django.db import IntegrityError, transaction

from compute_platform.compute.exceptions import BadRequest, Conflict
from hypervisors.volumes import ExportRef

from ..models import Export, Volume, VolumeAttachment
from ..models.volumes import VolumeStatus

logger = logging.getLogger(__name__)

# Changing these under existing volumes would move their files out from under the hosts' mounts.
MOUNT_IDENTITY_FIELDS = ("share", "fstype")


def export_ref(export: Export) -> ExportRef:
    """The plain value the MountManager takes (hypervisors/ never sees the ORM)."""
    return ExportRef(id=str(export.pk), share=export.share, fstype=export.fstype, options=export.mount_options)


def _validate(*, share: str, fstype: str, mount_options: str) -> None:
    try:
        ExportRef(id="new", share=share, fstype=fstype, options=mount_options)
    except ValueError as exc:
        raise BadRequest(f"Invalid export: {str(exc).replace('export new: ', '')}")


def export_create(*, name: str, share: str, fstype: str = "nfs", mount_options: str = "",
                  enabled: bool = True) -> Export:
    _validate(share=share, fstype=fstype, mount_options=mount_options)
    try:
        with transaction.atomic():
            export = Export.objects.create(name=name, share=share, fstype=fstype, mount_options=mount_options,
                                           enabled=enabled)
    except IntegrityError:
        raise Conflict(f"An export named {name!r} or with share {share!r} already exists.")
    logger.info("export %s created: %s (%s)", export.pk, share, fstype)
    return export


def export_update(*, export: Export, **changes) -> Export:
    """Change name, mount options or enabled freely; share and fstype only while it holds no volume."""
    changes = {k: v for k, v in changes.items() if v is not None and getattr(export, k) != v}
    if not changes:
        return export
    moving = [f for f in MOUNT_IDENTITY_FIELDS if f in changes]
    if moving and Volume.objects.filter(export=export).exclude(status=VolumeStatus.DELETED).exists():
        raise Conflict(f"Export {export.pk} holds volumes: its {' and '.join(moving)} cannot change.")
    merged = {f: changes.get(f, getattr(export, f)) for f in ("share", "fstype", "mount_options")}
    _validate(**merged)
    for field, value in changes.items():
        setattr(export, field, value)
    try:
        with transaction.atomic():
            export.save(update_fields=[*changes, "updated_at"])
    except IntegrityError:
        raise Conflict("Another export already has that name or share.")
    logger.info("export %s updated: %s", export.pk, sorted(changes))
    return export


def export_delete(*, export: Export) -> None:
    """409 while any volume lives on it. Deleted volumes' rows (and their past attachments) go with it."""
    export_id = export.pk
    with transaction.atomic():
        Export.objects.select_for_update().filter(pk=export.pk).first()
        if Volume.objects.filter(export=export).exclude(status=VolumeStatus.DELETED).exists():
            raise Conflict(f"Export {export.pk} ({export.name}) still holds volumes: delete them first.")
        gone = Volume.objects.filter(export=export, status=VolumeStatus.DELETED)
        VolumeAttachment.objects.filter(volume__in=gone).delete()
        gone.delete()
        export.delete()
    logger.info("export %s (%s) deleted", export_id, export.share)
