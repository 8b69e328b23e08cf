"""Rebuild, snapshot, shelve and rescue: where each may start, what it claims, and what a restarted worker
does with it (Nova's check_instance_state and init_host rules). Pure Python, shared by the services, the
tasks, the recovery and the redrive.
"""
from dataclasses import dataclass

from compute_platform import tasknames

from .states import TaskState, VmState

# What recovery does with an instance found in the operation's task_state on its host's worker start:
REDO = "redo"      # do the work again (every step is idempotent)
ERROR = "error"    # vm_state ERROR with a fault (Nova: a rebuild cut short)
CLEAR = "clear"    # task_state cleared, vm_state kept, the half-made image killed (Nova: a snapshot)


@dataclass(frozen=True)
class MoveRule:
    name: str             # the action name in os-instance-actions (Nova's instance_actions)
    allowed_from: tuple   # vm_states it may start from (409 otherwise, or when a task_state is set)
    task_state: str       # claimed while it runs
    task_name: str        # the Celery task on the host's queue
    event: str            # the event name the host records (Nova's wrap_instance_event names)
    recovery: str         # REDO, ERROR or CLEAR


MOVE_RULES = {
    "rebuild": MoveRule("rebuild", (VmState.ACTIVE, VmState.STOPPED, VmState.ERROR), TaskState.REBUILDING,
                        tasknames.REBUILD_INSTANCE, "compute_rebuild_instance", ERROR),
    "createImage": MoveRule("createImage", (VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED),
                            TaskState.IMAGE_SNAPSHOT, tasknames.SNAPSHOT_INSTANCE, "compute_snapshot_instance",
                            CLEAR),
    # A snapshot of image_type "backup", then the oldest backups of its type beyond the rotation deleted.
    "createBackup": MoveRule("createBackup", (VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED),
                             TaskState.IMAGE_BACKUP, tasknames.BACKUP_INSTANCE, "compute_backup_instance", CLEAR),
    "shelve": MoveRule("shelve", (VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED),
                       TaskState.SHELVING, tasknames.SHELVE_INSTANCE, "compute_shelve_instance", REDO),
    "shelveOffload": MoveRule("shelveOffload", (VmState.SHELVED,), TaskState.SHELVING_OFFLOADING,
                              tasknames.SHELVE_OFFLOAD_INSTANCE, "compute_shelve_offload_instance", REDO),
    "unshelve": MoveRule("unshelve", (VmState.SHELVED, VmState.SHELVED_OFFLOADED), TaskState.UNSHELVING,
                         tasknames.UNSHELVE_INSTANCE, "compute_unshelve_instance", REDO),
    "rescue": MoveRule("rescue", (VmState.ACTIVE, VmState.STOPPED, VmState.ERROR), TaskState.RESCUING,
                       tasknames.RESCUE_INSTANCE, "compute_rescue_instance", REDO),
    "unrescue": MoveRule("unrescue", (VmState.RESCUED,), TaskState.UNRESCUING, tasknames.UNRESCUE_INSTANCE,
                         "compute_unrescue_instance", REDO),
}

MOVE_RULE_BY_TASK_STATE = {rule.task_state: rule for rule in MOVE_RULES.values()}
