"""Attach and detach requests (Nova's os-volume_attachments) and what the host's worker records.

The request side decides everything in one transaction, holding the instance's and then the volume's
row lock (always in that order, so two requests never deadlock): state checks, the device name, the
attachment row, the volume's status, the action log; the host's queue gets the work after commit.
The partial unique constraints on the attachment table stop what slips past the locks.
"""
import logging
import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from compute_platform.compute.exceptions import BadRequest, Conflict
from compute_platform.compute.models import Instance
from compute_platform.compute.services.actions import action_finish, action_start
from compute_platform.compute.services.dispatch import task_enqueue_on_commit
from compute_platform.compute.services.instance_claims import instance_lock_check
from compute_platform.compute.states import VmState, action_conflict_message
from compute_platform import tasknames
from compute_platform.tasknames import host_queue

from compute_platform.db_retry import db_retry

from ..models import Volume, VolumeAttachment
from ..models.attachments import AttachmentStatus
from ..models.volumes import VolumeStatus
from .volumes import volume_status_refresh

logger = logging.getLogger(__name__)

# Nova's allowed vm_states for attach and detach (a building or errored server has no guest to plug into).
ATTACHABLE_VM_STATES = (VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED)
# The root disk is vda; volumes take vdb..vdz.
DEVICE_NAMES = tuple(f"/dev/vd{c}" for c in "bcdefghijklmnopqrstuvwxyz")
_DEVICE = re.compile(r"^/dev/vd[b-z]$")


# From microversion 2.20 a shelved server takes attach and detach too. An offloaded one has no host: its
# attachment is only recorded (attached, host ""), and its unshelve's host mounts and plugs it before the guest
# starts there (tasks/shelving.py), as every move's destination does.
SHELVED_VM_STATES = (VmState.SHELVED, VmState.SHELVED_OFFLOADED)


def _lock_instance(instance: Instance, action: str, *, shelved_ok: bool = False) -> Instance:
    inst = Instance.objects.select_for_update(of=("self",)).select_related("host").get(pk=instance.pk)
    allowed = ATTACHABLE_VM_STATES + (SHELVED_VM_STATES if shelved_ok else ())
    if inst.task_state is not None or inst.vm_state not in allowed:
        raise Conflict(action_conflict_message(action, str(inst.uuid), inst.vm_state, inst.task_state))
    if inst.host_id is None and inst.vm_state != VmState.SHELVED_OFFLOADED:
        raise Conflict(f"Cannot '{action}' instance {inst.uuid}: it was never placed on a host")
    return inst


def _offloaded(inst: Instance) -> bool:
    return inst.vm_state == VmState.SHELVED_OFFLOADED


def _next_device(instance: Instance, requested: str | None) -> str:
    taken = set(VolumeAttachment.objects.filter(instance=instance, status__in=AttachmentStatus.LIVE)
                .values_list("device", flat=True))
    if requested:
        if not _DEVICE.match(requested):
            raise BadRequest(f"Invalid device name {requested!r}: expected /dev/vdb .. /dev/vdz.")
        if requested in taken:
            raise BadRequest(f"Device {requested} is already in use on server {instance.uuid}.")
        return requested
    for name in DEVICE_NAMES:
        if name not in taken:
            return name
    raise BadRequest(f"No free device name on server {instance.uuid}: at most {len(DEVICE_NAMES)} volumes.")


def volume_attach(*, context, instance: Instance, volume: Volume, device: str | None = None, tag: str | None = None,
                  delete_on_termination: bool = False, shelved_ok: bool = False) -> VolumeAttachment:
    """Record the attachment (`attaching`) and have the instance's host plug it in. 409 when the server
    cannot take it now; 400 when the volume cannot (not available, or attached and not multiattach).
    `shelved_ok` (2.20): a shelved server too; an offloaded one's attachment is recorded attached, no host."""
    instance_lock_check(context=context, instance=instance)
    with transaction.atomic():
        inst = _lock_instance(instance, "attach_volume", shelved_ok=shelved_ok)
        offloaded = _offloaded(inst)
        vol = Volume.objects.select_for_update().get(pk=volume.pk)
        live = list(VolumeAttachment.objects.filter(volume=vol, status__in=AttachmentStatus.LIVE)
                    .values_list("instance_id", flat=True))
        if inst.pk in live:
            raise BadRequest(f"Invalid volume: volume {vol.id} is already attached to server {inst.uuid}.")
        if vol.status not in VolumeStatus.ATTACHMENT_DRIVEN or (live and not vol.multiattach):
            raise BadRequest(f"Invalid volume: volume {vol.id} status must be 'available' (it is {vol.status}); "
                             f"only a multiattach volume attaches to more than one server.")
        name = _next_device(inst, device)
        try:
            with transaction.atomic():  # a savepoint: the constraint's error must not poison the outer block
                att = VolumeAttachment.objects.create(
                    volume=vol, instance=inst, host="" if offloaded else inst.host.name, device=name, tag=tag,
                    delete_on_termination=delete_on_termination, request_id=context.request_id,
                    status=AttachmentStatus.ATTACHED if offloaded else AttachmentStatus.ATTACHING)
        except IntegrityError:
            raise Conflict(f"Volume {vol.id} or device {name} on server {inst.uuid} was attached concurrently.")
        volume_status_refresh(volume_id=vol.pk)
        action_start(instance=inst, action="attach_volume", context=context)
        if offloaded:
            action_finish(request_id=context.request_id)
        else:
            task_enqueue_on_commit(task_name=tasknames.ATTACH_VOLUME, queue=host_queue(inst.host.name),
                                   kwargs={"attachment_id": str(att.id), "request_id": context.request_id})
    logger.info("volume %s: attach to instance %s as %s %s (attachment %s, %s)", vol.id, inst.uuid, name,
                "recorded (offloaded)" if offloaded else f"on {inst.host.name} requested", att.id,
                context.request_id)
    return att


def volume_detach(*, context, instance: Instance, attachment: VolumeAttachment, shelved_ok: bool = False) -> None:
    """Mark the attachment `detaching` and have the host unplug it (then release the export's mount).
    A detach already under way is sent again (a lost message must not leave it stuck). `shelved_ok` (2.20): a
    shelved server too; an offloaded one holds nothing on any host, so its attachment is detached at once."""
    instance_lock_check(context=context, instance=instance)
    with transaction.atomic():
        inst = _lock_instance(instance, "detach_volume", shelved_ok=shelved_ok)
        _lock_volume([attachment.volume_id])
        att = VolumeAttachment.objects.select_for_update().get(pk=attachment.pk)
        if att.device == "/dev/vda":  # the boot volume (boot from volume): Nova refuses too
            raise BadRequest("Cannot detach a root device volume")
        if att.status == AttachmentStatus.ATTACHING:
            raise BadRequest(f"Invalid volume: volume {att.volume_id} is still attaching to server {inst.uuid}.")
        if att.status not in (AttachmentStatus.ATTACHED, AttachmentStatus.DETACHING):
            raise BadRequest(f"Invalid volume: volume {att.volume_id} is not attached to server {inst.uuid}.")
        if _offloaded(inst):
            now = timezone.now()
            VolumeAttachment.objects.filter(pk=att.pk).update(status=AttachmentStatus.DETACHED, detached_at=now,
                                                              request_id=context.request_id, updated_at=now)
            volume_status_refresh(volume_id=att.volume_id)
            action_start(instance=inst, action="detach_volume", context=context)
            action_finish(request_id=context.request_id)
            logger.info("volume %s: detached from offloaded instance %s (attachment %s, %s)", att.volume_id,
                        inst.uuid, att.id, context.request_id)
            return
        VolumeAttachment.objects.filter(pk=att.pk).update(status=AttachmentStatus.DETACHING,
                                                          request_id=context.request_id, updated_at=timezone.now())
        volume_status_refresh(volume_id=att.volume_id)
        action_start(instance=inst, action="detach_volume", context=context)
        task_enqueue_on_commit(task_name=tasknames.DETACH_VOLUME, queue=host_queue(att.host),
                               kwargs={"attachment_id": str(att.id), "request_id": context.request_id})
    logger.info("volume %s: detach from instance %s requested (attachment %s, %s)", att.volume_id, inst.uuid,
                att.id, context.request_id)


# --- what the host's worker records --------------------------------------------------------------

def _lock_volume(volume_ids) -> None:
    # The lock order everywhere is instance, then volume, then attachment: no two writers deadlock.
    list(Volume.objects.select_for_update().filter(pk__in=sorted(volume_ids, key=str)).values_list("pk", flat=True))


@db_retry
def _move(attachment_id, from_status: str, to_status: str, **values) -> bool:
    """Conditional on the status the work was started under, so a duplicate delivery changes nothing."""
    volume_id = VolumeAttachment.objects.values_list("volume_id", flat=True).filter(pk=attachment_id).first()
    if volume_id is None:
        return False
    with transaction.atomic():
        _lock_volume([volume_id])
        moved = VolumeAttachment.objects.filter(pk=attachment_id, status=from_status).update(
            status=to_status, updated_at=timezone.now(), **values) == 1
        if moved:
            volume_status_refresh(volume_id=volume_id)
    return moved


def attachment_attached(*, attachment_id) -> bool:
    return _move(attachment_id, AttachmentStatus.ATTACHING, AttachmentStatus.ATTACHED)


def attachment_attach_failed(*, attachment_id) -> bool:
    """The attachment failed and holds nothing any more: error (not live), the volume back to its others."""
    return _move(attachment_id, AttachmentStatus.ATTACHING, AttachmentStatus.ERROR, detached_at=timezone.now())


def attachment_detached(*, attachment_id) -> bool:
    return _move(attachment_id, AttachmentStatus.DETACHING, AttachmentStatus.DETACHED, detached_at=timezone.now())


def attachment_detach_refused(*, attachment_id) -> bool:
    """The hypervisor kept the volume: the attachment is attached again (and its export stays mounted)."""
    return _move(attachment_id, AttachmentStatus.DETACHING, AttachmentStatus.ATTACHED)


@db_retry
def instance_attachments_release(*, instance_id: int) -> int:
    """A deleted instance holds no volume: its live attachments become detached and their volumes
    available again (or in-use by their other servers). Idempotent."""
    now = timezone.now()
    with transaction.atomic():
        live = VolumeAttachment.objects.filter(instance_id=instance_id, status__in=AttachmentStatus.LIVE)
        _lock_volume(set(live.values_list("volume_id", flat=True)))
        rows = list(live.values_list("id", "volume_id", "delete_on_termination"))
        if not rows:
            return 0
        VolumeAttachment.objects.filter(pk__in=[r[0] for r in rows]).update(
            status=AttachmentStatus.DETACHED, detached_at=now, updated_at=now)
        for volume_id in sorted({r[1] for r in rows}, key=str):
            volume_status_refresh(volume_id=volume_id)
        _delete_on_termination([r[1] for r in rows if r[2]], instance_id=instance_id)
    logger.info("instance %s deleted: released attachments %s", instance_id, [str(r[0]) for r in rows])
    return len(rows)


def _delete_on_termination(volume_ids, *, instance_id: int) -> None:
    """The volumes attached with delete_on_termination (microversion 2.79) go with their server, as Nova
    deletes them: each one no other server still has starts deleting."""
    for volume_id in volume_ids:
        claimed = Volume.objects.filter(pk=volume_id, status__in=VolumeStatus.DELETABLE).exclude(
            attachments__status__in=AttachmentStatus.LIVE).update(status=VolumeStatus.DELETING,
                                                                 updated_at=timezone.now())
        if claimed:
            task_enqueue_on_commit(task_name=tasknames.DELETE_VOLUME, queue=tasknames.VOLUME_QUEUE,
                                   kwargs={"volume_id": str(volume_id), "request_id": ""})
            logger.info("volume %s deleted with instance %s (delete_on_termination)", volume_id, instance_id)


def attachment_redrive_touch(*, attachment_id, status: str) -> bool:
    """Before its work is re-sent: touch updated_at (spacing out repeats), only if the status did not move."""
    return VolumeAttachment.objects.filter(pk=attachment_id, status=status).update(updated_at=timezone.now()) == 1


# --- moves A: a shelved server's attachments follow it --------------------------------------------

def instance_attachments_move(*, instance_id: int, host: str) -> int:
    """The instance's live attachments now belong to `host` ("" once offloaded: held by no host), so that
    host's MountManager rebuild counts them. In the caller's transaction."""
    return VolumeAttachment.objects.filter(instance_id=instance_id, status__in=AttachmentStatus.LIVE).update(
        host=host, updated_at=timezone.now())
