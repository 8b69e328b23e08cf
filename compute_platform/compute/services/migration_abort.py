"""Abort a running live migration (DELETE /servers/{id}/migrations/{mid}, compute API 2.24), Nova's rules:
409 unless the instance is migrating, 404 for a migration that is not this instance's, 400 unless it is a live
migration in status running (2.65's abort of a queued one is not served). The source host stops it
(tasks/migration_abort.py); the migration ends `cancelled` with the guest running on the source."""
import logging

from django.db import transaction

from compute_platform import tasknames
from compute_platform.tasknames import host_queue

from ..exceptions import BadRequest, Conflict, NotFound
from ..models import Instance, Migration
from ..models.migrations import MigrationStatus, MigrationType
from ..states import TaskState
from .actions import action_start
from .dispatch import task_enqueue_on_commit

logger = logging.getLogger(__name__)
ACTION = "live_migration_cancel"  # Nova's instance action for it


def migration_abort(*, context, instance: Instance, migration_id: str) -> Migration:
    if instance.task_state != TaskState.MIGRATING:
        # Nova's check is on the task_state alone, so its message names it even when it is None
        raise Conflict(f"Cannot 'abort live migration' instance {instance.uuid} while it is in task_state "
                       f"{instance.task_state}")
    m = None
    if str(migration_id).isdigit():
        m = Migration.objects.select_related("source_host").filter(pk=int(migration_id), instance=instance).first()
    if m is None:
        raise NotFound(f"Migration {migration_id} not found for instance {instance.uuid}")
    if m.migration_type != MigrationType.LIVE or m.status != MigrationStatus.RUNNING:
        raise BadRequest(f"Migration {m.pk} state of instance {instance.uuid} is {m.status}. Cannot abort live "
                         f"migration while the migration is in this state.")
    with transaction.atomic():
        action_start(instance=instance, action=ACTION, context=context)
        task_enqueue_on_commit(task_name=tasknames.LIVE_MIGRATION_ABORT, queue=host_queue(m.source_host.name),
                               kwargs={"migration_id": m.pk, "request_id": context.request_id})
    logger.info("instance %s: abort of live migration %s requested on %s (%s)", instance.uuid, m.pk,
                m.source_host.name, context.request_id)
    return m
