"""Cluster-wide periodic tasks, sent by Celery beat to the `conductor` queue."""
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from compute_platform.compute.models import Host, Instance
from compute_platform.compute.states import VmState
from compute_platform.compute.services.dispatch import host_queue
from compute_platform.identity.services.tokens import tokens_purge_expired
from compute_platform.celery import app

from compute_platform.volumes.models import Volume, VolumeAttachment
from compute_platform.volumes.models.attachments import AttachmentStatus
from compute_platform.volumes.models.volumes import VolumeStatus
from compute_platform.volumes.services.volumes import VOLUME_QUEUE

from .redrive import REDRIVABLE, pending_work

logger = logging.getLogger(__name__)


@shared_task(name="conductor.sync_power_states_all_hosts")
def sync_power_states_all_hosts():
    """Fan out one power sync to each live host's own queue (only a host's worker sees its guests)."""
    sent = []
    for host in Host.objects.filter(enabled=True):
        if host.is_up:
            app.send_task("compute.sync_power_states", queue=host_queue(host.name), expires=60)
            sent.append(host.name)
    return sent


@shared_task(name="conductor.redrive_stale_tasks")
def redrive_stale_tasks():
    """Re-send the work of instances whose task_state has not moved for STALE_TASK_SECONDS on a live
    host: its message was lost (a broker restart, or the broker unreachable when the API committed).
    A host that is down is left to its own recovery when its worker returns."""
    cutoff = timezone.now() - timedelta(seconds=settings.STALE_TASK_SECONDS)
    sent = []
    stale = Instance.objects.select_related("host").filter(
        task_state__in=REDRIVABLE, updated_at__lt=cutoff, host__isnull=False).exclude(vm_state=VmState.DELETED)
    for inst in stale:
        work = pending_work(inst) if inst.host.is_up else None
        # Touching updated_at (only if the state did not move meanwhile) spaces out repeats.
        if work and Instance.objects.filter(pk=inst.pk, task_state=inst.task_state).update(
                updated_at=timezone.now()):
            name, kwargs = work
            app.send_task(name, queue=host_queue(inst.host.name), kwargs=kwargs)
            logger.warning("re-sent %s for instance %s stuck in %s on %s (%s)", name, inst.uuid, inst.task_state,
                           inst.host.name, kwargs.get("request_id"))
            sent.append(str(inst.uuid))
    return sent + redrive_stale_volume_work(cutoff)


def redrive_stale_volume_work(cutoff) -> list[str]:
    """The same for volumes: an attachment attaching or detaching on a live host, a volume being created or
    deleted, unchanged since `cutoff`. The tasks' status gates make a re-send of work not lost a no-op."""
    sent = []
    stale = VolumeAttachment.objects.filter(
        status__in=(AttachmentStatus.ATTACHING, AttachmentStatus.DETACHING), updated_at__lt=cutoff)
    for att_id, status, host, request_id in stale.values_list("id", "status", "host", "request_id"):
        host_row = Host.objects.filter(name=host).first()
        if host_row is None or not host_row.is_up:
            continue  # its worker's start-up recovery redoes it
        if VolumeAttachment.objects.filter(pk=att_id, status=status).update(updated_at=timezone.now()):
            name = "compute.attach_volume" if status == AttachmentStatus.ATTACHING else "compute.detach_volume"
            app.send_task(name, queue=host_queue(host), kwargs={"attachment_id": str(att_id),
                                                                "request_id": request_id})
            logger.warning("re-sent %s for attachment %s stuck %s on %s (%s)", name, att_id, status, host,
                           request_id)
            sent.append(f"attachment:{att_id}")
    stale_volumes = Volume.objects.filter(status__in=(VolumeStatus.CREATING, VolumeStatus.DELETING),
                                          updated_at__lt=cutoff)
    for volume_id, status in stale_volumes.values_list("id", "status"):
        if Volume.objects.filter(pk=volume_id, status=status).update(updated_at=timezone.now()):
            name = "volume.create_volume" if status == VolumeStatus.CREATING else "volume.delete_volume"
            app.send_task(name, queue=VOLUME_QUEUE, kwargs={"volume_id": str(volume_id)})
            logger.warning("re-sent %s for volume %s stuck %s", name, volume_id, status)
            sent.append(f"volume:{volume_id}")
    return sent


@shared_task(name="conductor.purge_expired_tokens")
def purge_expired_tokens():
    return tokens_purge_expired()
