"""Cluster-wide periodic tasks, sent by Celery beat to the `conductor` queue."""
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from compute_platform import tasknames
from compute_platform.compute.selectors import instances_stale
from compute_platform.compute.selectors_hosts import host_names_up
from compute_platform.compute.services.dispatch import task_send
from compute_platform.compute.services.hosts import hosts_fan_out
from compute_platform.compute.services.instance_lifecycle import instance_redrive_touch
from compute_platform.identity.services.tokens import tokens_purge_expired
from compute_platform.tasknames import host_queue
from compute_platform.volumes.models.attachments import AttachmentStatus
from compute_platform.volumes.models.volumes import VolumeStatus
from compute_platform.volumes.selectors import attachments_stale, volumes_stale
from compute_platform.volumes.services.attachments import attachment_redrive_touch
from compute_platform.volumes.services.volumes import volume_redrive_touch

from .migration_recovery import redrive_stale_moves
from .redrive import REDRIVABLE, pending_work

logger = logging.getLogger(__name__)


@shared_task(name=tasknames.SYNC_POWER_STATES_ALL_HOSTS)
def sync_power_states_all_hosts():
    """Fan out one power sync to each live, enabled host's own queue (only a host's worker sees its guests)."""
    return hosts_fan_out(task=tasknames.SYNC_POWER_STATES, include_disabled=False)


@shared_task(name=tasknames.REDRIVE_STALE_TASKS)
def redrive_stale_tasks():
    """Re-send the work of instances whose task_state has not moved for STALE_TASK_SECONDS on a live
    host: its message was lost (a broker restart, or the broker unreachable when the API committed).
    A host that is down is left to its own recovery when its worker returns."""
    return redrive_in_flight(cutoff=timezone.now() - timedelta(seconds=settings.STALE_TASK_SECONDS))


def redrive_in_flight(*, cutoff) -> list[str]:
    """Re-send the work of every instance, attachment and volume in flight on a live host and unchanged since
    `cutoff` (now, when the broker is known to have lost its messages)."""
    up = set(host_names_up())
    sent = []
    for inst in instances_stale(task_states=REDRIVABLE, cutoff=cutoff):
        work = pending_work(inst) if inst.host.name in up else None
        # Touching updated_at (only if the state did not move meanwhile) spaces out repeats.
        if work and instance_redrive_touch(instance_id=inst.pk, task_state=inst.task_state):
            name, kwargs = work
            task_send(task_name=name, queue=host_queue(inst.host.name), kwargs=kwargs)
            logger.warning("re-sent %s for instance %s stuck in %s on %s (%s)", name, inst.uuid, inst.task_state,
                           inst.host.name, kwargs.get("request_id"))
            sent.append(str(inst.uuid))
    return sent + redrive_stale_moves(cutoff=cutoff, up=up) + redrive_stale_volume_work(cutoff, up)


def redrive_stale_volume_work(cutoff, up: set[str]) -> list[str]:
    """The same for volumes: an attachment attaching or detaching on a live host (`up`), a volume being
    created or deleted, unchanged since `cutoff`. The tasks' status gates make a re-send of work not lost a
    no-op."""
    sent = []
    for att_id, status, host, request_id in attachments_stale(cutoff=cutoff):
        if host not in up:
            continue  # its worker's start-up recovery redoes it
        if attachment_redrive_touch(attachment_id=att_id, status=status):
            name = tasknames.ATTACH_VOLUME if status == AttachmentStatus.ATTACHING else tasknames.DETACH_VOLUME
            task_send(task_name=name, queue=host_queue(host), kwargs={"attachment_id": str(att_id),
                                                                      "request_id": request_id})
            logger.warning("re-sent %s for attachment %s stuck %s on %s (%s)", name, att_id, status, host,
                           request_id)
            sent.append(f"attachment:{att_id}")
    for volume_id, status in volumes_stale(cutoff=cutoff):
        if volume_redrive_touch(volume_id=volume_id, status=status):
            name = tasknames.CREATE_VOLUME if status in VolumeStatus.MAKING else tasknames.DELETE_VOLUME
            task_send(task_name=name, queue=tasknames.VOLUME_QUEUE, kwargs={"volume_id": str(volume_id)})
            logger.warning("re-sent %s for volume %s stuck %s", name, volume_id, status)
            sent.append(f"volume:{volume_id}")
    return sent


@shared_task(name=tasknames.PURGE_EXPIRED_TOKENS)
def purge_expired_tokens():
    return tokens_purge_expired()
