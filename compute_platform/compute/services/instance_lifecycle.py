"""Compute-side records: what a host's worker writes as it carries out instance work.

Every write is conditional on the task_state the work was claimed under, so a duplicate or late
delivery of a task (Celery delivers at least once) cannot overwrite a newer state.
"""
import logging

from django.db import transaction
from django.utils import timezone

from compute_platform.db_retry import db_retry

from ..models import Instance, InstanceFault
from ..scheduler.claims import claim_release
from ..states import TaskState, VmState

logger = logging.getLogger(__name__)


def instance_task_transition(*, instance_uuid: str, from_task_state: str, to_task_state: str | None,
                             **values) -> bool:
    """Move task_state from `from_task_state` to `to_task_state`; False if someone else moved it."""
    return Instance.objects.filter(uuid=instance_uuid, task_state=from_task_state).update(
        task_state=to_task_state, updated_at=timezone.now(), **values) == 1


def instance_task_complete(*, instance_uuid: str, task_state: str, vm_state: str, power_state: int) -> bool:
    values = {"vm_state": vm_state, "power_state": power_state}
    if task_state == TaskState.SPAWNING:
        values["launched_at"] = timezone.now()
    done = instance_task_transition(instance_uuid=instance_uuid, from_task_state=task_state,
                                    to_task_state=None, **values)
    if done:
        logger.info("instance %s: %s -> %s (power %s)", instance_uuid, task_state, vm_state, power_state)
    return done


@db_retry
def instance_task_revert(*, instance_uuid: str, task_state: str, power_state: int | None,
                         message: str, details: str = "", host: str = "") -> None:
    """A failed action leaves vm_state as it was (Nova reverts the task_state) and records a fault."""
    values = {} if power_state is None else {"power_state": power_state}
    with transaction.atomic():
        if instance_task_transition(instance_uuid=instance_uuid, from_task_state=task_state,
                                    to_task_state=None, **values):
            _fault(instance_uuid, message=message, details=details, host=host)


@db_retry
def instance_set_error(*, instance_uuid: str, message: str, details: str = "", host: str = "",
                       expected_task_state: str | None = None) -> bool:
    """vm_state ERROR with a fault. With `expected_task_state`, only if the instance is still in it."""
    qs = Instance.objects.filter(uuid=instance_uuid).exclude(vm_state=VmState.DELETED)
    if expected_task_state is not None:
        qs = qs.filter(task_state=expected_task_state)
    with transaction.atomic():
        if not qs.update(vm_state=VmState.ERROR, task_state=None, updated_at=timezone.now()):
            return False
        _fault(instance_uuid, message=message, details=details, host=host)
    logger.warning("instance %s: ERROR: %s", instance_uuid, message)
    return True


@db_retry
def instance_build_failed(*, instance_uuid: str, message: str, details: str = "", host: str = "") -> bool:
    """A build that left no guest behind: ERROR with a fault, and the host's claim given back, together.
    Only if the instance is still spawning (a delete that overtook the build owns it otherwise)."""
    with transaction.atomic():
        if not instance_set_error(instance_uuid=instance_uuid, expected_task_state=TaskState.SPAWNING,
                                  message=message, details=details, host=host):
            return False
        instance_id = Instance.objects.values_list("id", flat=True).get(uuid=instance_uuid)
        claim_release(instance_id=instance_id)
        # Nova deallocates a failed build's network: its ports go (or, passed in, are unbound).
        from compute_platform.network.services.instance_ports import instance_ports_release
        from compute_platform.volumes.services.attachments import instance_attachments_release

        instance_ports_release(instance_uuid=instance_uuid)
        # And its volumes (boot from volume): available again, as Nova's _cleanup_volumes; the worker has
        # released their mounts already.
        instance_attachments_release(instance_id=instance_id)
    return True


def instance_power_state_set(*, instance_uuid: str, power_state: int) -> bool:
    """Record what the hypervisor reports, only while no task is in flight (it would race the task)."""
    return Instance.objects.filter(uuid=instance_uuid, task_state__isnull=True).exclude(
        power_state=power_state).exclude(vm_state=VmState.DELETED).update(
        power_state=power_state, updated_at=timezone.now()) == 1


def _fault(instance_uuid: str, *, message: str, details: str, host: str, code: int = 500) -> None:
    inst = Instance.objects.filter(uuid=instance_uuid).only("id").first()
    if inst is not None:
        InstanceFault.objects.create(instance=inst, code=code, message=message[:255], details=details[:20000],
                                     host=host)


def instance_mark_stopped_by_hypervisor(*, instance_uuid: str) -> bool:
    """An ACTIVE guest the hypervisor reports shut down or crashed stopped behind our back: the record says
    STOPPED instead of claiming ACTIVE (Nova force-stops it). Only while no task is in flight."""
    return Instance.objects.filter(uuid=instance_uuid, vm_state=VmState.ACTIVE, task_state__isnull=True).update(
        vm_state=VmState.STOPPED, updated_at=timezone.now()) == 1


def instance_redrive_touch(*, instance_id: int, task_state: str) -> bool:
    """Before its work is re-sent: touch updated_at (spacing out repeats), only if the task_state did not
    move meanwhile. False: someone else moved it, send nothing."""
    return Instance.objects.filter(pk=instance_id, task_state=task_state).update(updated_at=timezone.now()) == 1
