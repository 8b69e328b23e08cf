"""lock / unlock (Nova's os-lock-server) and os-resetState (Nova's admin action): record-only actions,
finished in the request."""
import logging

from django.db import transaction
from django.utils import timezone

from ..exceptions import Forbidden
from ..models import Instance
from ..states import VmState
from .actions import action_finish, action_start

logger = logging.getLogger(__name__)


def instance_lock(*, context, instance: Instance, reason: str | None = None) -> None:
    """Lock against every other action by non-admins. Nova's locked_by: `owner` when the server's project
    locks it, `admin` when someone else (an admin) does. Locking a locked server changes nothing."""
    locked_by = "owner" if instance.project_id == context.project_id else "admin"
    with transaction.atomic():
        Instance.objects.filter(pk=instance.pk, locked_by__isnull=True).update(
            locked_by=locked_by, locked_reason=reason, updated_at=timezone.now())
        action_start(instance=instance, action="lock", context=context)
        action_finish(request_id=context.request_id)
    logger.info("instance %s locked by %s (%s)", instance.uuid, locked_by, context.request_id)


def instance_unlock(*, context, instance: Instance) -> None:
    """An admin's lock is lifted by admins only (Nova's unlock_override policy: 403)."""
    if instance.locked_by == "admin" and not context.is_admin:
        raise Forbidden("Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.")
    with transaction.atomic():
        Instance.objects.filter(pk=instance.pk).update(locked_by=None, locked_reason=None, updated_at=timezone.now())
        action_start(instance=instance, action="unlock", context=context)
        action_finish(request_id=context.request_id)
    logger.info("instance %s unlocked (%s)", instance.uuid, context.request_id)


RESET_STATES = {"active": VmState.ACTIVE, "error": VmState.ERROR}


def instance_reset_state(*, context, instance: Instance, state: str) -> None:
    """Nova's os-resetState: vm_state `active` or `error`, task_state cleared, whatever was in flight (the
    operator's tool for a stuck server; the work it interrupts finds its task_state gone and stops)."""
    with transaction.atomic():
        Instance.objects.filter(pk=instance.pk).exclude(vm_state=VmState.DELETED).update(
            vm_state=RESET_STATES[state], task_state=None, updated_at=timezone.now())
        action_start(instance=instance, action="resetState", context=context)
        action_finish(request_id=context.request_id)
    logger.warning("instance %s reset to %s by %s (%s)", instance.uuid, state, context.user_key, context.request_id)
