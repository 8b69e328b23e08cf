"""Volumes given at server create (Nova's block_device_mapping_v2 with destination `volume`): the boot volume
(boot_index 0, the guest's vda) and any others, attached by the build on the chosen host.

The request side records each as an `attaching` attachment on the placed host, in the create's transaction,
holding the volumes' row locks; the build (tasks/manager.py) mounts their exports through the MountManager
before the guest starts, and marks them attached once the guest has them. Only volumes that exist are taken
(source `volume`); making one from an image or blank at boot is refused with a 400 that says so.
"""
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from compute_platform.compute.exceptions import BadRequest, Conflict

from ..models import Volume, VolumeAttachment
from ..models.attachments import AttachmentStatus
from ..models.volumes import VolumeStatus
from .attachments import attachment_attached
from .volumes import volume_status_refresh

logger = logging.getLogger(__name__)

ROOT_DEVICE = "/dev/vda"
_INVALID = "Block Device Mapping is Invalid: "


@dataclass(frozen=True)
class BootVolume:
    volume_id: str
    device: str
    delete_on_termination: bool
    tag: str | None


def block_devices_prepare(*, context, mappings: list[dict], image, count: int) -> list[BootVolume]:
    """The create's volume mappings checked and their volumes locked (in the caller's transaction), with their
    devices: the boot volume vda, the others vdb on in order. 400 when the boot sequence is invalid (no image
    and no boot volume), for a volume that does not exist, is not available or, as the boot volume, not
    bootable, and for several servers with one volume (Nova's rules). `mappings`: validated dicts."""
    if any(not m.get("source_type") for m in mappings if not m.get("no_device")):
        raise BadRequest(f"{_INVALID}Some required fields are missing")  # Nova's: source_type
    volumes = [m for m in mappings if m.get("destination_type") == "volume"]
    for m in volumes:
        if m["source_type"] != "volume":
            raise BadRequest(f"{_INVALID}a volume from source_type {m['source_type']!r} at boot is not supported; "
                             "create the volume first (it may be made from an image) and boot from it.")
        if not m.get("uuid"):
            raise BadRequest(f"{_INVALID}a mapping of source_type 'volume' needs the volume's uuid.")
        if m.get("volume_type"):  # 2.67's volume_type is for volumes made at boot (Nova's from_api)
            raise BadRequest(f"{_INVALID}Specifying volume type to existing volume is not supported.")
    boots = [m for m in volumes if m.get("boot_index") == 0]
    if len(boots) > 1:
        raise BadRequest(f"{_INVALID}Boot sequence for the instance and image/block device mapping combination "
                         "is not valid: two boot volumes.")
    if image is None and not boots:
        raise BadRequest(f"{_INVALID}Boot sequence for the instance and image/block device mapping combination "
                         "is not valid.")
    if image is not None and boots:
        raise BadRequest(f"{_INVALID}give either imageRef or a boot volume (boot_index 0), not both.")
    if not volumes:
        return []
    if count > 1:
        raise BadRequest("Cannot attach one or more volumes to multiple instances.")
    ids = [str(m["uuid"]) for m in volumes]
    if len(set(ids)) != len(ids):
        raise BadRequest(f"{_INVALID}a volume is mapped twice.")
    locked = {str(v.id): v for v in Volume.objects.select_for_update().filter(
        pk__in=sorted(ids), project_id=context.project_id).exclude(status=VolumeStatus.DELETED)}
    ordered = sorted(volumes, key=lambda m: m.get("boot_index") != 0)  # the boot volume first (vda)
    out, devices = [], iter(f"/dev/vd{c}" for c in "bcdefghijklmnopqrstuvwxyz")
    for m in ordered:
        vol = locked.get(str(m["uuid"]))
        if vol is None:
            raise BadRequest(f"{_INVALID}failed to get volume {m['uuid']}.")
        live = VolumeAttachment.objects.filter(volume=vol, status__in=AttachmentStatus.LIVE).exists()
        if vol.status not in VolumeStatus.ATTACHMENT_DRIVEN or (live and not vol.multiattach):
            raise BadRequest(f"Invalid volume: volume {vol.id} status must be 'available' (it is {vol.status}).")
        boot = m.get("boot_index") == 0
        if boot and not vol.bootable:
            raise BadRequest(f"Block Device {vol.id} is not bootable.")
        out.append(BootVolume(volume_id=str(vol.id), device=ROOT_DEVICE if boot else next(devices),
                              delete_on_termination=bool(m.get("delete_on_termination")), tag=m.get("tag")))
    return out


def instance_block_devices_attach(*, context, instance, host_name: str, volumes: list[BootVolume]) -> None:
    """Record the server's create-time volumes as `attaching` on `host_name` (in the create's transaction,
    the volumes locked by block_devices_prepare); the build attaches them."""
    for bv in volumes:
        try:
            with transaction.atomic():  # a savepoint: the constraint's error must not poison the create
                VolumeAttachment.objects.create(volume_id=bv.volume_id, instance=instance, host=host_name,
                                                device=bv.device, tag=bv.tag, status=AttachmentStatus.ATTACHING,
                                                delete_on_termination=bv.delete_on_termination,
                                                request_id=context.request_id)
        except IntegrityError:
            raise Conflict(f"Volume {bv.volume_id} was attached concurrently.")
        volume_status_refresh(volume_id=bv.volume_id)
    if volumes:
        logger.info("instance %s: volumes %s to attach at build on %s (%s)", instance.uuid,
                    [f"{bv.volume_id}@{bv.device}" for bv in volumes], host_name, context.request_id)


def instance_block_devices_attached(*, instance_uuid: str) -> int:
    """The build has the guest running with its volumes: its `attaching` attachments are attached."""
    ids = list(VolumeAttachment.objects.filter(instance__uuid=instance_uuid, status=AttachmentStatus.ATTACHING)
               .values_list("id", flat=True))
    return sum(attachment_attached(attachment_id=i) for i in ids)
