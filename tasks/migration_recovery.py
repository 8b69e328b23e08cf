"""Moves whose step stopped: redone by the host that owes it at its worker's start (called by
tasks/recovery.py, on both sides), and re-sent by the conductor's stale sweep when a message was lost.

The rule for every move task_state is one table (DUE): the step owed, and by which side. Every step is
idempotent and gates itself (tasks/move_manager.py), so redoing one that was in fact done is a no-op:
  resize_prep (dest)          mount again, hand over to the source
  resize_migrating (source)   power off and hand the disk over again
  resize_migrated (dest)      finish again (the guest defined once, mounts re-asserted)
  resize_confirming (source)  destroy the old guest, release its mounts, give the claim back
  resize_reverting            dest (the instance still there): destroy the new guest, release its mounts;
                              source (the instance back): start the old guest again
  migrating, accepted (dest)  mount again, hand over to the source
  migrating, running (source) the live migration again (a guest already on the destination counts as done)
  rebuilding (dest)           the evacuation's rebuild again, from scratch
  an evacuation done while its source was down: its old guest and mounts go there (evacuated_guest_cleanup).
"""
import logging

from compute_platform import tasknames
from compute_platform.compute.models import Migration
from compute_platform.compute.models.migrations import MigrationStatus as MS, MigrationType
from compute_platform.compute.selectors import instance_open_request_id, instances_stale
from compute_platform.compute.selectors_migrations import migrations_open_on_host
from compute_platform.compute.services.dispatch import task_send
from compute_platform.compute.services.instance_lifecycle import instance_redrive_touch
from compute_platform.compute.states import TaskState as TS
from compute_platform.tasknames import host_queue

from . import move_manager
from .move_manager import DEST, SOURCE

logger = logging.getLogger(__name__)

DUE = {
    (MS.PRE_MIGRATING, TS.RESIZE_PREP): (tasknames.PREP_RESIZE, DEST),
    (MS.MIGRATING, TS.RESIZE_MIGRATING): (tasknames.RESIZE_INSTANCE, SOURCE),
    (MS.POST_MIGRATING, TS.RESIZE_MIGRATED): (tasknames.FINISH_RESIZE, DEST),
    (MS.CONFIRMING, TS.RESIZE_CONFIRMING): (tasknames.CONFIRM_RESIZE, SOURCE),
    (MS.ACCEPTED, TS.MIGRATING): (tasknames.PRE_LIVE_MIGRATION, DEST),
    (MS.RUNNING, TS.MIGRATING): (tasknames.LIVE_MIGRATION, SOURCE),
    (MS.ACCEPTED, TS.REBUILDING): (tasknames.EVACUATE_INSTANCE, DEST),
}
STEP_BY_TASK = {
    tasknames.PREP_RESIZE: move_manager.prep_resize, tasknames.RESIZE_INSTANCE: move_manager.resize_instance,
    tasknames.FINISH_RESIZE: move_manager.finish_resize, tasknames.CONFIRM_RESIZE: move_manager.confirm_resize,
    tasknames.REVERT_RESIZE: move_manager.revert_resize,
    tasknames.FINISH_REVERT_RESIZE: move_manager.finish_revert_resize,
    tasknames.PRE_LIVE_MIGRATION: move_manager.pre_live_migration,
    tasknames.LIVE_MIGRATION: move_manager.live_migration, tasknames.EVACUATE_INSTANCE: move_manager.evacuate_instance,
}
# The instance action each step's events belong to.
_ACTION_BY_STATUS = {MS.CONFIRMING: "confirmResize", MS.REVERTING: "revertResize"}
_ACTION_BY_TYPE = {MigrationType.RESIZE: "resize", MigrationType.MIGRATION: "migrate",
                   MigrationType.LIVE: "live-migration", MigrationType.EVACUATION: "evacuate"}


def move_due(m: Migration) -> tuple[str, str, str] | None:
    """(task name, host that owes it, request id) of the migration's next step, or None if none is due."""
    inst = m.instance
    if (m.status, inst.task_state) == (MS.REVERTING, TS.RESIZE_REVERTING):
        task, side = ((tasknames.REVERT_RESIZE, DEST) if inst.host_id == m.dest_host_id
                      else (tasknames.FINISH_REVERT_RESIZE, SOURCE))
    elif (m.status, inst.task_state) in DUE:
        task, side = DUE[(m.status, inst.task_state)]
    else:
        return None
    action = _ACTION_BY_STATUS.get(m.status, _ACTION_BY_TYPE[m.migration_type])
    request_id = instance_open_request_id(instance_id=m.instance_id, action=action) or m.request_id
    return task, (m.dest_host if side == DEST else m.source_host).name, request_id


def host_moves_recover(host: str) -> int:
    """At the worker's start: redo the steps of open moves this host owes; returns how many it redid."""
    redone = 0
    for m in migrations_open_on_host(host=host):
        if m.migration_type == MigrationType.EVACUATION and m.status == MS.DONE:
            if m.source_host.name == host:
                move_manager.evacuated_guest_cleanup(m)
                redone += 1
            continue
        due = move_due(m)
        if due is None or due[1] != host:
            continue  # the other side's step: that host's worker, or its recovery, does it
        task, _, request_id = due
        logger.info("recovering migration %s (%s, %s) of %s on %s: %s", m.pk, m.migration_type, m.status,
                    m.instance.uuid, host, task)
        STEP_BY_TASK[task](migration_id=m.pk, request_id=request_id)
        redone += 1
    return redone


def redrive_stale_moves(*, cutoff, up: set[str]) -> list[str]:
    """The conductor's sweep: a move whose task_state has not changed since `cutoff` lost its message; it is
    sent again to the host that owes the step, if that host is up (else its recovery does it)."""
    sent = []
    for inst in instances_stale(task_states=TS.MOVING, cutoff=cutoff):
        m = (Migration.objects.select_related("instance", "source_host", "dest_host").filter(instance=inst)
             .exclude(status__in=MS.CLOSED).order_by("-id").first())
        due = move_due(m) if m is not None else None
        if due is None or due[1] not in up or not instance_redrive_touch(instance_id=inst.pk,
                                                                         task_state=inst.task_state):
            continue
        task, host, request_id = due
        task_send(task_name=task, queue=host_queue(host), kwargs={"migration_id": m.pk, "request_id": request_id})
        logger.warning("re-sent %s for migration %s of instance %s stuck in %s (%s)", task, m.pk, inst.uuid,
                       inst.task_state, request_id)
        sent.append(str(inst.uuid))
    return sent
