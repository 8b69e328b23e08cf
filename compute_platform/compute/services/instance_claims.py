"""The one way an API request claims an instance for work (`instance_task_state_claim`): Nova's lock check,
then its state check as one conditional UPDATE claiming the task_state, so of two concurrent requests exactly
one starts. Lifecycle actions (instances.instance_action), moves (instance_moves) and rebuild, snapshot, shelve
and rescue (`instance_move_start`, which also records the action and enqueues the host's task) all use it."""
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


def instance_task_state_claim(*, context, instance: Instance, action: str, allowed_from, task_state: str,
                              placed: bool = True, check_lock: bool = True, **values) -> None:
    """Claim task_state (None -> `task_state`) if the vm_state is in `allowed_from` (and, when `placed`, the
    instance is on a host), writing `values` in the same UPDATE; else 409 in Nova's words. Call it inside the
    caller's transaction, so the claim and what follows from it commit together. `check_lock`: Nova's
    check_instance_lock first (evacuate, an admin's rescue of a down host's guests, does not check it)."""
    if check_lock:
        instance_lock_check(context=context, instance=instance)
    qs = Instance.objects.filter(pk=instance.pk, task_state__isnull=True, vm_state__in=allowed_from)
    if placed:
        qs = qs.filter(host__isnull=False)
    if not qs.update(task_state=task_state, updated_at=timezone.now(), **values):
        current = Instance.objects.filter(pk=instance.pk).values("vm_state", "task_state", "host_id").get()
        # The state allows it but there is no host to do it on (a build that found none; not a shelved-offloaded
        # server, whose state is the reason): say so, since the state message would read as a contradiction.
        if placed and current["host_id"] is None and not current["task_state"] and current["vm_state"] in allowed_from:
            raise Conflict(f"Cannot '{action}' instance {instance.uuid}: it was never placed on a host "
                           f"(vm_state {current['vm_state']}); delete it instead")
        raise Conflict(action_conflict_message(action, str(instance.uuid), current["vm_state"],
                                               current["task_state"]))
    instance.task_state = task_state


def instance_move_start(*, context, instance: Instance, rule: MoveRule, host_name: str | None = None,
                        **values) -> None:
    """Claim `rule.task_state` (409 unless the vm_state allows it and no task runs), writing `values` in the
    same UPDATE; record the action; enqueue `rule.task_name` on `host_name` (default: the instance's host).
    Runs in the caller's transaction when there is one, so a claim and what it decided commit together."""
    with transaction.atomic():
        instance_task_state_claim(context=context, instance=instance, action=rule.name,
                                  allowed_from=rule.allowed_from, task_state=rule.task_state,
                                  placed=host_name is None, **values)
        host_name = host_name or instance.host.name
        action_start(instance=instance, action=rule.name, context=context)
        task_enqueue_on_commit(task_name=rule.task_name, queue=host_queue(host_name),
                               kwargs={"instance_uuid": str(instance.uuid), "request_id": context.request_id})
    instance.task_state = rule.task_state
    logger.info("instance %s: %s requested on %s (%s)", instance.uuid, rule.name, host_name, context.request_id)
