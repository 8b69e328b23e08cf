"""Nova's deferred delete actions, `restore` and `forceDelete`, with `reclaim_instance_interval` at its
default, 0: a delete is never deferred, so no instance is ever SOFT_DELETED. `restore` then always answers
409, as Nova's state check does, and `forceDelete` is an ordinary delete of an instance with no task
in flight."""
from ..exceptions import Conflict
from ..models import Instance
from ..states import action_conflict_message
from .instances import instance_delete


def instance_restore(*, context, instance: Instance) -> None:
    # Only a SOFT_DELETED instance can be restored, and none is ever soft deleted here.
    raise Conflict(action_conflict_message("restore", str(instance.uuid), instance.vm_state, None))


def instance_force_delete(*, context, instance: Instance) -> None:
    """Delete now; 409 while another task is in flight (Nova's check_instance_state(task_state=None))."""
    if instance.task_state:
        raise Conflict(action_conflict_message("force_delete", str(instance.uuid), instance.vm_state,
                                               instance.task_state))
    instance_delete(context=context, instance=instance)
