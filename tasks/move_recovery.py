"""What a restarted worker (tasks/recovery.py) and the conductor's redrive (tasks/redrive.py) do with an
instance found in a rebuild, snapshot, shelve or rescue task_state. The rule of each is in move_rules:

- rebuilding -> ERROR with a fault (Nova's init_host): the guest may be half replaced; rebuild again.
- image_snapshot, image_backup -> task_state cleared, the half-made image killed (Nova's init_host).
- shelving, shelving_offloading, unshelving, rescuing, unrescuing -> done again: every step is idempotent
  (power off, snapshot overwrite, destroy, mount attach/release by set, spawn after destroying leftovers,
  rescue/unrescue of a guest already so).
"""
import logging

from compute_platform.compute.move_rules import CLEAR, ERROR, MOVE_RULE_BY_TASK_STATE, MOVE_RULES
from compute_platform.compute.selectors import instance_open_request_id
from compute_platform.compute.services.actions import action_finish
from compute_platform.compute.services.instance_lifecycle import instance_set_error, instance_task_transition
from compute_platform.images.services.images import image_kill

from . import rebuilds, rescues, shelving, snapshots

logger = logging.getLogger(__name__)

MOVE_WORK = {
    "rebuild": rebuilds.rebuild_instance,
    "createImage": snapshots.snapshot_instance,
    "createBackup": snapshots.backup_instance,
    "shelve": shelving.shelve_instance,
    "shelveOffload": shelving.shelve_offload_instance,
    "unshelve": shelving.unshelve_instance,
    "rescue": rescues.rescue_instance,
    "unrescue": rescues.unrescue_instance,
}
assert set(MOVE_WORK) == set(MOVE_RULES)


def move_pending_work(instance) -> tuple[str, dict] | None:
    """(task name, kwargs) that carries out the instance's claimed task_state, for the redrive."""
    rule = MOVE_RULE_BY_TASK_STATE.get(instance.task_state)
    if rule is None:
        return None
    return rule.task_name, {"instance_uuid": str(instance.uuid),
                            "request_id": instance_open_request_id(instance_id=instance.id, action=rule.name)}


def move_recover(instance, host: str) -> str:
    """Apply the task_state's rule on this host's worker start; returns what was done."""
    rule = MOVE_RULE_BY_TASK_STATE[instance.task_state]
    uuid = str(instance.uuid)
    request_id = instance_open_request_id(instance_id=instance.id, action=rule.name)
    if rule.recovery == ERROR:
        instance_set_error(instance_uuid=uuid, expected_task_state=rule.task_state, host=host,
                           message=f"{rule.name} of instance {uuid} was interrupted by a restart of the compute "
                                   f"worker on {host}")
        outcome = "errored"
    elif rule.recovery == CLEAR:
        image = snapshots.snapshot_image_of(request_id)
        if image is not None:
            image_kill(image_id=image.id)
        instance_task_transition(instance_uuid=uuid, from_task_state=rule.task_state, to_task_state=None)
        outcome = "cleared"
    else:
        MOVE_WORK[rule.name](instance_uuid=uuid, request_id=request_id)
        return "redone"
    if request_id:
        action_finish(request_id=request_id, error=True)
    logger.warning("instance %s: %s interrupted on %s: %s", uuid, rule.name, host, outcome)
    return outcome
