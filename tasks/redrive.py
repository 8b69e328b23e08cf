"""The message that carries out an instance's claimed task_state, so lost work can be sent again.

A claimed task_state with no message behind it (the broker lost it, or was unreachable when the API
committed) would leave the instance stuck. Both the host's start-up recovery and the conductor's
periodic sweep re-send it; the tasks' gates (claimed task_state, finished action) make a duplicate
of work that was not lost a no-op.
"""
from compute_platform import tasknames
from compute_platform.compute.selectors import instance_open_request_id
from compute_platform.compute.states import ACTION_BY_TASK_STATE, ACTIONS, TaskState

from .move_recovery import move_pending_work

# task_states whose work a message can (re)start. SPAWNING is not here: a build in progress can only
# be judged by its host, which does so when its worker restarts.
REDRIVABLE = (TaskState.SCHEDULING, TaskState.DELETING, *ACTION_BY_TASK_STATE, *TaskState.MOVES_A)


def pending_work(instance) -> tuple[str, dict] | None:
    """(task name, kwargs) for the instance's current task_state, or None if nothing can be re-sent."""
    ts, uuid = instance.task_state, str(instance.uuid)
    if ts == TaskState.SCHEDULING:
        return tasknames.BUILD_INSTANCE, {
            "instance_uuid": uuid, "request_id": instance_open_request_id(instance_id=instance.id, action="create")}
    if ts == TaskState.DELETING:
        return tasknames.DELETE_INSTANCE, {
            "instance_uuid": uuid, "request_id": instance_open_request_id(instance_id=instance.id, action="delete")}
    if ts in ACTION_BY_TASK_STATE:
        key = ACTION_BY_TASK_STATE[ts]
        rule = ACTIONS[key]
        return rule.task_name, {"instance_uuid": uuid, "action_key": key,
                                "request_id": instance_open_request_id(instance_id=instance.id, action=rule.name)}
    if ts in TaskState.MOVES_A:
        return move_pending_work(instance)
    return None
