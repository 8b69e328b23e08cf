"""Live migration abort on the source host (Nova's compute manager `live_migration_abort`): ids in, re-check
that the migration still runs here, ask the driver to stop it. The live_migration step running beside it (another
thread of this worker, holding the instance's lock, which is why this task does not take it) then records the
migration cancelled and the instance's task_state reverted, with the guest running on the source."""
import logging

from celery import shared_task

from compute_platform import tasknames
from compute_platform.compute.models import Migration
from compute_platform.compute.models.migrations import MigrationStatus

from .events import instance_event
from .runtime import get_driver, this_host

logger = logging.getLogger(__name__)


@shared_task(name=tasknames.LIVE_MIGRATION_ABORT)
def live_migration_abort(*, migration_id: int, request_id: str) -> None:
    m = Migration.objects.select_related("instance", "source_host").filter(pk=migration_id).first()
    host = this_host()
    if m is None or m.status != MigrationStatus.RUNNING or m.source_host.name != host:
        logger.info("abort of migration %s skipped on %s: no longer running here (%s)", migration_id, host,
                    request_id)
        return
    uuid = str(m.instance.uuid)
    with instance_event(request_id=request_id, event="compute_live_migration_abort", host=host, on_error=None,
                        what=f"abort of the live migration of instance {uuid} (migration {m.pk})"):
        get_driver().live_migration_abort(uuid)
