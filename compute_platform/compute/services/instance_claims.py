"""The one way an API request starts rebuild, snapshot, shelve or rescue work: Nova's lock check, then
its state check as one conditional UPDATE claiming the task_state, the action recorded, and the host's
task enqueued after commit."""
import logging

from django.db import transaction
from django.utils import timezone

from compute_platform.tasknames import host_queue

from ..exceptions import Conflict
from ..models import Instance
from ..move_rules import MoveRule
from ..states import action_conflict_message
from .actions import action_start
from .dispatch import task_enqueue_on_commit

logger = logging.getLogger(__name__)


def instance_lock_check(*, context, instance: Instance) -> None:
    """Nova's check_instance_lock: a locked server refuses every action but unlock to non-admins (409)."""
    if instance.locked_by is not None and not context.is_admin:
        raise Conflict(f"Instance {instance.uuid} is locked")


def instance_move_start(*, context, instance: Instance, rule: MoveRule, host_name: str | None = None,
                        **values) -> None:
    """Claim `rule.task_state` (409 unless the vm_state allows it and no task runs), writing `values` in the
    same UPDATE; record the action; enqueue `rule.task_name` on `host_name` (default: the instance's host).
    Runs in the caller's transaction when there is one, so a claim and what it decided commit together."""
    instance_lock_check(context=context, instance=instance)
    with transaction.atomic():
        qs = Instance.objects.filter(pk=instance.pk, task_state__isnull=True, vm_state__in=rule.allowed_from)
        if host_name is None:
            qs = qs.filter(host__isnull=False)
        if not qs.update(task_state=rule.task_state, updated_at=timezone.now(), **values):
            current = Instance.objects.filter(pk=instance.pk).values("vm_state", "task_state").get()
            raise Conflict(action_conflict_message(rule.name, str(instance.uuid), current["vm_state"],
                                                   current["task_state"]))
        host_name = host_name or instance.host.name
        action_start(instance=instance, action=rule.name, context=context)
        task_enqueue_on_commit(task_name=rule.task_name, queue=host_queue(host_name),
                               kwargs={"instance_uuid": str(instance.uuid), "request_id": context.request_id})
    instance.task_state = rule.task_state
    logger.info("instance %s: %s requested on %s (%s)", instance.uuid, rule.name, host_name, context.request_id)
