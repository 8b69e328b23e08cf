"""Recovery of moves at a host's worker start (called by tasks/recovery.py), on both sides.

The rule for every move task_state: the step this host owes is done again. Each step's gate (host, the
migration's status, the instance's task_state) picks the one that is due, and every step is idempotent:
  resize_prep (dest)          mount again, hand over to the source
  resize_migrating (source)   power off and hand the disk over again
  resize_migrated (dest)      finish again (the guest defined once, mounts re-asserted)
  resize_confirming (source)  destroy the old guest, release its mounts, give the claim back
  resize_reverting (dest, then source)  destroy the new guest and release its mounts; start the old one
  migrating (dest: accepted)  mount again, hand over to the source
  migrating (source: running) the live migration again (a guest already on the destination counts as done)
  rebuilding (dest)           the evacuation's rebuild again, from scratch
  an evacuation done while this host was down: its old guest and mounts go here (evacuated_guest_cleanup).
The other side's step is that host's own business: its worker does it, or its recovery does.
"""
import logging

from compute_platform.compute.models.migrations import MigrationStatus, MigrationType
from compute_platform.compute.selectors import instance_open_request_id
from compute_platform.compute.selectors_migrations import migrations_open_on_host

from . import move_manager

logger = logging.getLogger(__name__)

# The instance action each step's events belong to, by migration status.
_ACTION_BY_STATUS = {MigrationStatus.CONFIRMING: "confirmResize", MigrationStatus.REVERTING: "revertResize"}
_ACTION_BY_TYPE = {MigrationType.RESIZE: "resize", MigrationType.MIGRATION: "migrate",
                   MigrationType.LIVE: "live-migration", MigrationType.EVACUATION: "evacuate"}


def host_moves_recover(host: str) -> int:
    """Redo the steps of open moves this host owes; returns how many moves were looked at."""
    count = 0
    for m in migrations_open_on_host(host=host):
        count += 1
        if m.migration_type == MigrationType.EVACUATION and m.status == MigrationStatus.DONE:
            if m.source_host.name == host:
                move_manager.evacuated_guest_cleanup(m)
            continue
        action = _ACTION_BY_STATUS.get(m.status, _ACTION_BY_TYPE[m.migration_type])
        request_id = instance_open_request_id(instance_id=m.instance_id, action=action) or m.request_id
        logger.info("recovering migration %s (%s, %s) of %s on %s", m.pk, m.migration_type, m.status,
                    m.instance.uuid, host)
        for step in move_manager.STEPS:
            step(migration_id=m.pk, request_id=request_id)
    return count
