"""Nova's instance state model: vm_state (stable), task_state (in flight), power_state (hypervisor).

Pure Python, so the rules are unit tested without a database and shared by the API, services and tasks.
"""
from dataclasses import dataclass

from compute_platform import tasknames
from hypervisors.base import PowerState  # noqa: F401  (re-exported for the domain)


class VmState:
    BUILDING = "building"
    ACTIVE = "active"
    STOPPED = "stopped"
    PAUSED = "paused"
    SUSPENDED = "suspended"
    ERROR = "error"
    DELETED = "deleted"
    # --- moves A (rebuild, snapshot, shelve, rescue) ---
    SHELVED = "shelved"
    SHELVED_OFFLOADED = "shelved_offloaded"
    RESCUED = "rescued"
    # --- end moves A ---
    ALL = (BUILDING, ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR, DELETED, SHELVED, SHELVED_OFFLOADED, RESCUED)
    # moves (resize, migrations, evacuate): a resized guest waits on its new host for confirm or revert
    RESIZED = "resized"
    ALL = ALL + (RESIZED,)


class TaskState:
    SCHEDULING = "scheduling"
    SPAWNING = "spawning"
    POWERING_OFF = "powering-off"
    POWERING_ON = "powering-on"
    REBOOTING = "rebooting"
    REBOOTING_HARD = "rebooting_hard"
    PAUSING = "pausing"
    UNPAUSING = "unpausing"
    SUSPENDING = "suspending"
    RESUMING = "resuming"
    DELETING = "deleting"
    # --- moves A (rebuild, snapshot, shelve, rescue): Nova's names ---
    REBUILDING = "rebuilding"
    IMAGE_SNAPSHOT = "image_snapshot"
    SHELVING = "shelving"
    SHELVING_OFFLOADING = "shelving_offloading"
    UNSHELVING = "unshelving"
    RESCUING = "rescuing"
    UNRESCUING = "unrescuing"
    IMAGE_BACKUP = "image_backup"  # createBackup (issue 11)
    MOVES_A = (REBUILDING, IMAGE_SNAPSHOT, SHELVING, SHELVING_OFFLOADING, UNSHELVING, RESCUING, UNRESCUING,
               IMAGE_BACKUP)
    # --- end moves A ---
    ALL = (SCHEDULING, SPAWNING, POWERING_OFF, POWERING_ON, REBOOTING, REBOOTING_HARD,
           PAUSING, UNPAUSING, SUSPENDING, RESUMING, DELETING, *MOVES_A)
    # moves (resize, migrations, evacuate), Nova's names; the host doing each step is in tasks/move_manager.py
    RESIZE_PREP = "resize_prep"                # destination mounts the volumes' exports
    RESIZE_MIGRATING = "resize_migrating"      # source powers off and hands the disk over
    RESIZE_MIGRATED = "resize_migrated"        # destination starts the guest
    RESIZE_FINISH = "resize_finish"
    RESIZE_REVERTING = "resize_reverting"
    RESIZE_CONFIRMING = "resize_confirming"
    MIGRATING = "migrating"                    # live migration
    # evacuate is rebuilt on the destination from its image under REBUILDING (above), as in Nova
    MOVING = (RESIZE_PREP, RESIZE_MIGRATING, RESIZE_MIGRATED, RESIZE_FINISH, RESIZE_REVERTING,
              RESIZE_CONFIRMING, MIGRATING, REBUILDING)
    ALL = ALL + MOVING[:-1]  # REBUILDING is in already


# Nova's power_state codes have one definition, beside the drivers that report them.
POWER_STATE_NAMES = {int(p): p.name for p in PowerState}


@dataclass(frozen=True)
class ActionRule:
    """An instance action: where it may start, what it claims, where it lands."""
    name: str                 # the action name recorded in os-instance-actions
    allowed_from: tuple       # vm_states the action may start from
    task_state: str           # the task_state claimed while it runs
    target_vm_state: str      # vm_state on success
    task_name: str            # the Celery task that carries it out on the host


ACTIONS = {
    "stop": ActionRule("stop", (VmState.ACTIVE, VmState.ERROR), TaskState.POWERING_OFF,
                       VmState.STOPPED, tasknames.STOP_INSTANCE),
    "start": ActionRule("start", (VmState.STOPPED,), TaskState.POWERING_ON,
                        VmState.ACTIVE, tasknames.START_INSTANCE),
    "reboot": ActionRule("reboot", (VmState.ACTIVE,), TaskState.REBOOTING,
                         VmState.ACTIVE, tasknames.REBOOT_INSTANCE),
    "reboot_hard": ActionRule("reboot", (VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED,
                                         VmState.SUSPENDED, VmState.ERROR),
                              TaskState.REBOOTING_HARD, VmState.ACTIVE, tasknames.REBOOT_INSTANCE),
    "pause": ActionRule("pause", (VmState.ACTIVE,), TaskState.PAUSING,
                        VmState.PAUSED, tasknames.PAUSE_INSTANCE),
    "unpause": ActionRule("unpause", (VmState.PAUSED,), TaskState.UNPAUSING,
                          VmState.ACTIVE, tasknames.UNPAUSE_INSTANCE),
    "suspend": ActionRule("suspend", (VmState.ACTIVE,), TaskState.SUSPENDING,
                          VmState.SUSPENDED, tasknames.SUSPEND_INSTANCE),
    "resume": ActionRule("resume", (VmState.SUSPENDED,), TaskState.RESUMING,
                         VmState.ACTIVE, tasknames.RESUME_INSTANCE),
}

# The action keys whose rule a task_state belongs to (used by recovery to redo interrupted work).
ACTION_BY_TASK_STATE = {rule.task_state: key for key, rule in ACTIONS.items()}

# Nova's statuses of a server on the move (api/openstack/common.py _STATE_MAP).
MOVE_STATUS = {
    **{(vm, ts): "RESIZE" for vm in (VmState.ACTIVE, VmState.STOPPED)
       for ts in (TaskState.RESIZE_PREP, TaskState.RESIZE_MIGRATING, TaskState.RESIZE_MIGRATED,
                  TaskState.RESIZE_FINISH)},
    (VmState.ACTIVE, TaskState.MIGRATING): "MIGRATING",
    (VmState.PAUSED, TaskState.MIGRATING): "MIGRATING",
    **{(vm, TaskState.REBUILDING): "REBUILD" for vm in (VmState.ACTIVE, VmState.STOPPED, VmState.ERROR)},
    (VmState.RESIZED, None): "VERIFY_RESIZE",
    (VmState.RESIZED, TaskState.RESIZE_CONFIRMING): "VERIFY_RESIZE",
    (VmState.RESIZED, TaskState.RESIZE_REVERTING): "REVERT_RESIZE",
}


def server_status(vm_state: str, task_state: str | None) -> str:
    """The API `status` of a server, derived as Nova's api/openstack/common.py derives it."""
    if (vm_state, task_state) in MOVE_STATUS:
        return MOVE_STATUS[(vm_state, task_state)]
    if vm_state == VmState.ACTIVE and task_state == TaskState.REBOOTING:
        return "REBOOT"
    if task_state == TaskState.REBOOTING_HARD:
        return "HARD_REBOOT"
    if vm_state == VmState.DELETED:
        return "DELETED"
    return {
        VmState.BUILDING: "BUILD",
        VmState.ACTIVE: "ACTIVE",
        VmState.STOPPED: "SHUTOFF",
        VmState.PAUSED: "PAUSED",
        VmState.SUSPENDED: "SUSPENDED",
        VmState.ERROR: "ERROR",
        VmState.SHELVED: "SHELVED",
        VmState.SHELVED_OFFLOADED: "SHELVED_OFFLOADED",
        VmState.RESCUED: "RESCUE",
    }.get(vm_state, "UNKNOWN")


# Reverse map for `?status=` list filters: API status -> vm_states it covers.
VM_STATES_FOR_STATUS = {
    "BUILD": (VmState.BUILDING,),
    "ACTIVE": (VmState.ACTIVE,),
    "SHUTOFF": (VmState.STOPPED,),
    "PAUSED": (VmState.PAUSED,),
    "SUSPENDED": (VmState.SUSPENDED,),
    "ERROR": (VmState.ERROR,),
    "DELETED": (VmState.DELETED,),
    "SHELVED": (VmState.SHELVED,),
    "SHELVED_OFFLOADED": (VmState.SHELVED_OFFLOADED,),
    "RESCUE": (VmState.RESCUED,),
    "REBUILD": (VmState.ACTIVE, VmState.STOPPED, VmState.ERROR),
    "REBOOT": (VmState.ACTIVE,),
    "HARD_REBOOT": (VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED, VmState.ERROR),
    # moves
    "RESIZE": (VmState.ACTIVE, VmState.STOPPED),
    "VERIFY_RESIZE": (VmState.RESIZED,),
    "REVERT_RESIZE": (VmState.RESIZED,),
    "MIGRATING": (VmState.ACTIVE, VmState.PAUSED),
}


def action_conflict_message(action: str, instance_uuid: str, vm_state: str, task_state: str | None) -> str:
    """Nova's wording for a refused action (InstanceInvalidState)."""
    if task_state:
        return f"Cannot '{action}' instance {instance_uuid} while it is in task_state {task_state}"
    return f"Cannot '{action}' instance {instance_uuid} while it is in vm_state {vm_state}"
