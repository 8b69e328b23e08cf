"""Cluster-wide periodic tasks, sent by Celery beat to the `conductor` queue."""
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from compute_platform.compute.models import Host, Instance
from compute_platform.compute.states import VmState
from compute_platform.compute.services.dispatch import host_queue
from compute_platform.compute.services.identity import tokens_purge_expired
from compute_platform.celery import app

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
    return sent


@shared_task(name="conductor.purge_expired_tokens")
def purge_expired_tokens():
    return tokens_purge_expired()
