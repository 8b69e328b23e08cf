"""What the hosts record as a move advances (tasks/move_manager.py carries the steps out).

Every record is conditional on the migration's status and the instance's task_state the step was started
under, in one transaction, so a repeated delivery, a recovery redoing a step, or a late message can never
move a migration backwards or give a claim back twice.
"""
import logging

from django.db import transaction
from django.utils import timezone

from compute_platform.db_retry import db_retry
from compute_platform.tasknames import host_queue

from ..models import Instance, Migration
from ..models.migrations import MigrationStatus
from .dispatch import task_enqueue_on_commit
from .instance_lifecycle import instance_set_error, instance_task_revert
from .migration_claims import (migration_dest_claim_release, migration_instance_back_to_source,
                               migration_instance_to_dest, migration_source_claim_release)

logger = logging.getLogger(__name__)

TO_DEST, BACK = "to_dest", "back"


@db_retry
def migration_step(*, migration_id: int, from_status: str, to_status: str, instance_uuid: str,
                   from_task_state: str | None, to_task_state: str | None, instance_values: dict | None = None,
                   move: str | None = None, release_source: bool = False, release_dest: bool = False,
                   next_task: str | None = None, next_host: str | None = None, request_id: str = "") -> bool:
    """One step's outcome: migration `from_status` -> `to_status`, instance `from_task_state` ->
    `to_task_state` (+ `instance_values`); `move` the instance to the destination or back to the source
    (claims change owners with it); give back the source's or the destination's claim; and hand
    `next_task` to `next_host` once committed. False, changing nothing, if either state moved meanwhile."""
    with transaction.atomic():
        m = (Migration.objects.select_for_update().select_related("source_host", "dest_host")
             .filter(pk=migration_id, status=from_status).first())
        if m is None or not Instance.objects.select_for_update().filter(
                uuid=instance_uuid, task_state=from_task_state).exists():
            logger.info("migration %s: step %s -> %s skipped: no longer %s/%s", migration_id, from_status,
                        to_status, from_status, from_task_state)
            return False
        if move == TO_DEST:
            migration_instance_to_dest(migration=m)
        elif move == BACK:
            migration_instance_back_to_source(migration=m)
        if release_source:
            migration_source_claim_release(migration_id=m.pk)
        if release_dest:
            migration_dest_claim_release(migration_id=m.pk)
        Migration.objects.filter(pk=m.pk).update(status=to_status, updated_at=timezone.now())
        Instance.objects.filter(uuid=instance_uuid).update(task_state=to_task_state, updated_at=timezone.now(),
                                                           **(instance_values or {}))
        if next_task:
            task_enqueue_on_commit(task_name=next_task, queue=host_queue(next_host),
                                   kwargs={"migration_id": m.pk, "request_id": request_id})
    logger.info("migration %s of %s: %s -> %s, task_state %s -> %s", migration_id, instance_uuid, from_status,
                to_status, from_task_state, to_task_state)
    return True


@db_retry
def migration_failed(*, migration_id: int, instance_uuid: str, task_state: str, message: str, details: str = "",
                     host: str = "", error_state: bool = False, power_state: int | None = None,
                     status: str = MigrationStatus.ERROR) -> bool:
    """A step failed with the guest where the driver's contract leaves it: the migration is in error, the
    destination's claim is given back, and the instance's task_state is reverted (or, `error_state`, the
    instance goes to ERROR), with a fault. The destination's mounts, no longer in any truth, leave with
    its audit: an extra mount for a while, never a missing one. `status`: CANCELLED for an aborted live
    migration (the same undoing, Nova's status for it)."""
    with transaction.atomic():
        if not Migration.objects.filter(pk=migration_id).exclude(status__in=MigrationStatus.CLOSED).update(
                status=status, updated_at=timezone.now()):
            return False
        migration_dest_claim_release(migration_id=migration_id)
        if error_state:
            instance_set_error(instance_uuid=instance_uuid, expected_task_state=task_state, message=message,
                               details=details, host=host)
        else:
            instance_task_revert(instance_uuid=instance_uuid, task_state=task_state, power_state=power_state,
                                 message=message, details=details, host=host)
    logger.warning("migration %s of %s failed on %s: %s", migration_id, instance_uuid, host, message)
    return True



def migration_evacuation_cleaned(*, migration_id: int) -> bool:
    """The source, back up, removed the evacuated guest and its mounts: the evacuation is complete."""
    return Migration.objects.filter(pk=migration_id, status=MigrationStatus.DONE).update(
        status=MigrationStatus.COMPLETED, updated_at=timezone.now()) == 1
