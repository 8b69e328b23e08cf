"""What a host's worker does for volume attachments, and what the volume service does for volume files.

Attach: mount the export through the MountManager (which records the attachment in the export's set),
then plug the file into the guest. Detach mirrors it: unplug first, then release the mount, so an export
is never unmounted under a guest that still has one of its files. Every step is idempotent, and each
task re-checks the attachment's status under the instance's lock, so a repeated delivery is a no-op.
"""
import logging
import os

from django.conf import settings

from compute_platform.images.models import Image
from compute_platform.volumes.models import Volume, VolumeAttachment
from compute_platform.volumes.models.attachments import AttachmentStatus
from compute_platform.volumes.models.volumes import VolumeStatus
from compute_platform.volumes.services.boot_volumes import ROOT_DEVICE
from compute_platform.volumes.services.attachments import (
    attachment_attach_failed, attachment_attached, attachment_detach_refused, attachment_detached,
)
from compute_platform.volumes.services.exports import export_ref
from compute_platform.volumes.services.volumes import volume_create_finished, volume_delete_finished
from hypervisors.base import InstanceNotFound, VolumeConnection
from hypervisors.volumes import attachment_key, mount_point_for, volume_op_key
from hypervisors.volumes.image_copy import volume_file_make

from .events import instance_event
from .locks import instance_lock
from .runtime import get_driver, get_mount_manager, get_volume_service_mount_manager, mount_base_for, this_host

logger = logging.getLogger(__name__)

GIB = 1 << 30


def _load(attachment_id: str) -> VolumeAttachment | None:
    return (VolumeAttachment.objects.select_related("volume__export", "instance")
            .filter(pk=attachment_id).first())


def _key(att: VolumeAttachment) -> str:
    return attachment_key(str(att.volume_id), str(att.instance.uuid))


def _connection(att: VolumeAttachment, mountpoint: str) -> VolumeConnection:
    return VolumeConnection(volume_id=str(att.volume_id), path=os.path.join(mountpoint, att.volume.file_name),
                            device=att.device)


def attach_volume(*, attachment_id: str, request_id: str) -> None:
    att = _load(attachment_id)
    if att is None:
        logger.warning("attach of attachment %s skipped: no such attachment (%s)", attachment_id, request_id)
        return
    host, driver, mounts = this_host(), get_driver(), get_mount_manager()
    uuid, volume_id = str(att.instance.uuid), str(att.volume_id)
    with instance_lock(uuid):
        status = VolumeAttachment.objects.values_list("status", flat=True).get(pk=att.pk)
        if status != AttachmentStatus.ATTACHING:
            logger.info("attach of volume %s to %s skipped: attachment %s is %s (%s)", volume_id, uuid, att.pk,
                        status, request_id)
            return
        export = export_ref(att.volume.export)
        mounted = False

        def failed(exc, details):
            if mounted:
                _release_mount(export, _key(att), what=f"failed attach {att.pk}")
            attachment_attach_failed(attachment_id=att.pk)

        with instance_event(request_id=request_id, event="compute_attach_volume", host=host, on_error=failed,
                            what=f"attach of volume {volume_id} to instance {uuid} (attachment {att.pk}, "
                                 f"export {export.id})") as ev:
            mountpoint = mounts.attach(export, _key(att))
            mounted = True
            driver.attach_volume(uuid, _connection(att, mountpoint))
            attachment_attached(attachment_id=att.pk)
    if not ev.failed:
        logger.info("volume %s attached to instance %s as %s on %s (attachment %s, %s)", volume_id, uuid,
                    att.device, host, att.pk, request_id)


def _release_mount(export, key: str, *, what: str) -> None:
    """Give the attachment's place in the export's set back; a failure here only leaves the export mounted
    (the safe side) with a stale key the audit reports."""
    try:
        outcome = get_mount_manager().detach(export, key)
        logger.info("%s: released %s on export %s (%s)", what, key, export.id, outcome.value)
    except Exception:
        logger.exception("%s: could not release %s on export %s: left for the audit", what, key, export.id)


def detach_volume(*, attachment_id: str, request_id: str) -> None:
    att = _load(attachment_id)
    if att is None:
        logger.warning("detach of attachment %s skipped: no such attachment (%s)", attachment_id, request_id)
        return
    host, driver, mounts = this_host(), get_driver(), get_mount_manager()
    uuid, volume_id = str(att.instance.uuid), str(att.volume_id)
    with instance_lock(uuid):
        status = VolumeAttachment.objects.values_list("status", flat=True).get(pk=att.pk)
        if status != AttachmentStatus.DETACHING:
            logger.info("detach of volume %s from %s skipped: attachment %s is %s (%s)", volume_id, uuid, att.pk,
                        status, request_id)
            return
        export = export_ref(att.volume.export)

        def refused(exc, details):
            # The guest still has the file open: its export must stay mounted and the attachment stays.
            attachment_detach_refused(attachment_id=att.pk)

        with instance_event(request_id=request_id, event="compute_detach_volume", host=host, on_error=refused,
                            what=f"detach of volume {volume_id} from instance {uuid} (attachment {att.pk}, "
                                 f"export {export.id})") as ev:
            try:
                driver.detach_volume(uuid, volume_id)
            except InstanceNotFound:
                logger.warning("detach of volume %s: instance %s has no guest on %s; releasing the mount",
                               volume_id, uuid, host)
            # Unplugged: if releasing the export fails, the attachment stays `detaching` (live) so a repeated
            # DELETE, or the next worker start's rebuild, finishes the job.
            ev.on_error = None
            outcome = mounts.detach(export, _key(att))
            attachment_detached(attachment_id=att.pk)
    if not ev.failed:
        logger.info("volume %s detached from instance %s on %s (attachment %s, export %s %s, %s)", volume_id,
                    uuid, host, att.pk, export.id, outcome.value, request_id)


def _live_attachments(instance_uuid: str) -> list[VolumeAttachment]:
    return list(VolumeAttachment.objects.select_related("volume__export", "instance").filter(
        instance__uuid=instance_uuid, status__in=AttachmentStatus.LIVE).order_by("device"))


def instance_volumes_mount(instance_uuid: str) -> list[VolumeConnection]:
    """Every live attachment's export mounted on this host (its key in the export's set), and the volumes as
    this host's guest sees them. Idempotent. A move's destination calls it before the guest starts there."""
    mounts = get_mount_manager()
    return [_connection(att, mounts.attach(export_ref(att.volume.export), _key(att)))
            for att in _live_attachments(instance_uuid)]


def instance_volume_connections_on(instance_uuid: str, host: str) -> list[VolumeConnection]:
    """The volumes as `host`'s guest sees them (their paths under `host`'s mounts), without mounting: the
    source of a live migration hands them to the destination, which mounted them first."""
    return [_connection(att, mount_point_for(mount_base_for(host), att.volume.export.share))
            for att in _live_attachments(instance_uuid)]


def instance_boot_volume(instance_uuid: str) -> VolumeConnection | None:
    """The server's boot volume (vda) as this host's guest sees it, without mounting; None if it boots from
    an image. The caller mounts (instance_volumes_mount) before the guest starts."""
    return next((c for c in instance_volume_connections_on(instance_uuid, this_host()) if c.device == ROOT_DEVICE),
                None)


def instance_volumes_reassert(instance_uuid: str) -> int:
    """Before a start or reboot: every live attachment's export is mounted and its file plugged in. Both
    calls are idempotent, so this repairs a mount lost meanwhile and costs nothing otherwise. Raises what
    they raise: a guest must not start without its volumes."""
    connections = instance_volumes_mount(instance_uuid)
    if not connections:
        return 0
    driver = get_driver()
    for conn in connections:
        driver.attach_volume(instance_uuid, conn)
    logger.info("instance %s: re-asserted volumes %s", instance_uuid, [c.volume_id for c in connections])
    return len(connections)


def instance_volumes_release_mounts(instance_uuid: str) -> int:
    """After the guest is destroyed: each live attachment leaves its export's set (unmounting the export if it
    was the last). The database side is instance_attachments_release, with the instance's deletion."""
    atts = _live_attachments(instance_uuid)
    for att in atts:
        _release_mount(export_ref(att.volume.export), _key(att), what=f"delete of instance {instance_uuid}")
    return len(atts)


# --- the volume service ----------------------------------------------------------------------------

def _image_source(vol: Volume) -> tuple[str | None, str]:
    """(data path, disk format) of the image a volume is made from; (None, "raw") for a blank volume."""
    image_id = (vol.image_metadata or {}).get("image_id")
    if not image_id:
        return None, "raw"
    props = Image.objects.filter(pk=image_id).values_list("properties", flat=True).first() or {}
    return props.get("_data_path"), vol.image_metadata.get("disk_format") or "raw"


def create_volume_file(*, volume_id: str, request_id: str = "") -> None:
    vol = Volume.objects.select_related("export").filter(pk=volume_id).first()
    if vol is None or vol.status not in VolumeStatus.MAKING:
        logger.info("create of volume %s skipped: %s (%s)", volume_id, vol and vol.status, request_id)
        return
    export = export_ref(vol.export)
    try:
        src, disk_format = _image_source(vol)
        with get_volume_service_mount_manager().mounted(export, volume_op_key(volume_id)) as mountpoint:
            volume_file_make(dst=os.path.join(mountpoint, vol.file_name), size_bytes=vol.size * GIB,
                             mode=settings.VOLUME_FILE_MODE, src=src, disk_format=disk_format)
    except Exception as exc:
        logger.exception("create of volume %s on export %s failed (%s)", volume_id, export.id, request_id)
        volume_create_finished(volume_id=volume_id, error=f"{type(exc).__name__}: {exc}")
        return
    volume_create_finished(volume_id=volume_id)
    logger.info("volume %s created: %s on export %s, %d GiB (%s)", volume_id, vol.file_name, export.id, vol.size,
                request_id)


def delete_volume_file(*, volume_id: str, request_id: str = "") -> None:
    vol = Volume.objects.select_related("export").filter(pk=volume_id).first()
    if vol is None or vol.status != VolumeStatus.DELETING:
        logger.info("delete of volume %s skipped: %s (%s)", volume_id, vol and vol.status, request_id)
        return
    export = export_ref(vol.export)
    try:
        with get_volume_service_mount_manager().mounted(export, volume_op_key(volume_id)) as mountpoint:
            try:
                os.remove(os.path.join(mountpoint, vol.file_name))
            except FileNotFoundError:
                pass  # a repeated delete, or a create that never made it
    except Exception as exc:
        logger.exception("delete of volume %s on export %s failed (%s)", volume_id, export.id, request_id)
        volume_delete_finished(volume_id=volume_id, error=f"{type(exc).__name__}: {exc}")
        return
    volume_delete_finished(volume_id=volume_id)
    logger.info("volume %s deleted from export %s (%s)", volume_id, export.id, request_id)


def volume_service_recover() -> dict:
    """At the conductor's start: rebuild the volume service's mounts, then finish the creates and deletes a
    dead conductor left in flight (their messages come back only after the broker's visibility timeout;
    a later duplicate finds the status moved and does nothing)."""
    from .mounts import volume_service_mounts_rebuild

    counts = {"mounts": volume_service_mounts_rebuild(), "created": 0, "deleted": 0}
    for volume_id, status in Volume.objects.filter(
            status__in=(*VolumeStatus.MAKING, VolumeStatus.DELETING)).values_list("id", "status"):
        logger.info("volume service: finishing %s of volume %s after a restart", status, volume_id)
        if status in VolumeStatus.MAKING:
            create_volume_file(volume_id=str(volume_id))
            counts["created"] += 1
        else:
            delete_volume_file(volume_id=str(volume_id))
            counts["deleted"] += 1
    return counts
