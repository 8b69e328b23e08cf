"""The steps of a move, each on the host that owns it (Nova's compute manager: prep_resize, resize_instance,
finish_resize, confirm_resize, revert_resize, finish_revert_resize, pre_live_migration, live_migration,
rebuild_instance for evacuate).

The mount rule every step keeps: the destination mounts the volumes' exports before the guest can start
there (prep_resize, pre_live_migration, evacuate), and the source releases its mounts only after the guest has
left it (confirm_resize, live_migration; revert_resize on the destination likewise). A crash in between leaves
an extra mount, which the audit removes once no open migration names the host; never a missing one.

Each step gates on (its host, the migration's status, the instance's task_state) under the instance's lock, so
a repeated delivery or a recovery that redoes it (tasks/migration_recovery.py) does nothing twice; every record is
conditional again (services/migration_lifecycle.py).
"""
import dataclasses
import logging

from compute_platform import tasknames
from compute_platform.compute.models import Instance, Migration
from compute_platform.compute.models.migrations import MigrationStatus as MS
from compute_platform.compute.services.migration_lifecycle import (BACK, TO_DEST, migration_evacuation_cleaned,
                                                                   migration_failed, migration_step)
from compute_platform.compute.states import TaskState as TS, VmState
from hypervisors.base import InstanceNotFound, LiveMigrationAborted

from .events import instance_event
from .locks import instance_lock
from .runtime import get_driver, this_host
from .specs import instance_spec
from .volume_manager import instance_volume_connections_on, instance_volumes_mount, instance_volumes_release_mounts

logger = logging.getLogger(__name__)

SOURCE, DEST = "source", "dest"


def _power_state(driver, instance_uuid: str) -> int:
    try:
        return int(driver.get_info(instance_uuid).power_state)
    except InstanceNotFound:
        return 0


def _load(migration_id: int) -> Migration | None:
    return (Migration.objects.select_related("instance", "instance__image", "source_host", "dest_host")
            .filter(pk=migration_id).first())


def _gate(m: Migration | None, *, side: str, status: str, task_state: str, on: str | None = None) -> bool:
    """Is this delivery still wanted here? `on`: the side the instance's record must be on."""
    if m is None:
        return False
    host = this_host()
    if (m.dest_host if side == DEST else m.source_host).name != host:
        return False
    row = Instance.objects.filter(pk=m.instance_id).values("task_state", "host_id").first()
    current = Migration.objects.filter(pk=m.pk).values_list("status", flat=True).first()
    if row is None or current != status or row["task_state"] != task_state:
        return False
    if on is not None and row["host_id"] != (m.dest_host_id if on == DEST else m.source_host_id):
        return False
    return True


def _finished_vm_state(m: Migration) -> str:
    return VmState.ACTIVE if m.power_on else VmState.STOPPED


def _spec(m: Migration, *, new: bool):
    inst = Instance.objects.select_related("image").get(pk=m.instance_id)
    spec = instance_spec(inst)
    if new:
        return dataclasses.replace(spec, vcpus=m.new_vcpus, memory_mb=m.new_memory_mb, root_gb=m.new_root_gb)
    return dataclasses.replace(spec, vcpus=m.old_vcpus, memory_mb=m.old_memory_mb, root_gb=m.old_root_gb)


def _step(migration_id: int, request_id: str, *, side: str, status: str, task_state: str, event: str,
          on: str | None = None, last: bool = False, error_state: bool = False, cleanup=None, body):
    """Run `body(m, uuid, host, driver)` under the gate and the event; a failure records the migration in
    error (after `cleanup`, if given, removed what the failed step may have left on this host)."""
    m = _load(migration_id)
    if m is None:
        logger.warning("%s of migration %s skipped: no such migration (%s)", event, migration_id, request_id)
        return
    uuid, host, driver = str(m.instance.uuid), this_host(), get_driver()
    with instance_lock(uuid):
        if not _gate(m, side=side, status=status, task_state=task_state, on=on):
            logger.info("%s of migration %s (instance %s) skipped on %s: no longer %s/%s (%s)", event, m.pk, uuid,
                        host, status, task_state, request_id)
            return

        def failed(exc, details):
            if cleanup is not None:
                cleanup(m, uuid, driver)
            migration_failed(migration_id=m.pk, instance_uuid=uuid, task_state=task_state, host=host,
                             message=f"{m.migration_type} failed: {exc}", details=details, error_state=error_state,
                             power_state=None if error_state else _power_state(driver, uuid),
                             status=MS.CANCELLED if isinstance(exc, LiveMigrationAborted) else MS.ERROR)

        with instance_event(request_id=request_id, event=event, host=host, on_error=failed, finishes_action=last,
                            what=f"{event} of instance {uuid} (migration {m.pk}, {m.source_host.name} -> "
                                 f"{m.dest_host.name})"):
            body(m, uuid, host, driver)


def _remove_guest_here(m: Migration, uuid: str, driver) -> None:
    """After a failed step on the destination: nothing of the guest stays, then (it has left) its mounts go."""
    if m.source_host_id == m.dest_host_id:
        return
    driver.destroy(uuid)
    instance_volumes_release_mounts(uuid)


# --- resize and cold migration -------------------------------------------------------------------------

def prep_resize(*, migration_id: int, request_id: str) -> None:
    def body(m, uuid, host, driver):
        instance_volumes_mount(uuid)  # before the guest can start here
        migration_step(migration_id=m.pk, from_status=MS.PRE_MIGRATING, to_status=MS.MIGRATING, instance_uuid=uuid,
                       from_task_state=TS.RESIZE_PREP, to_task_state=TS.RESIZE_MIGRATING,
                       next_task=tasknames.RESIZE_INSTANCE, next_host=m.source_host.name, request_id=request_id)

    _step(migration_id, request_id, side=DEST, status=MS.PRE_MIGRATING, task_state=TS.RESIZE_PREP,
          event="compute_prep_resize", body=body)


def resize_instance(*, migration_id: int, request_id: str) -> None:
    def body(m, uuid, host, driver):
        driver.migrate_disk_and_power_off(uuid, m.dest_host.name)
        migration_step(migration_id=m.pk, from_status=MS.MIGRATING, to_status=MS.POST_MIGRATING, instance_uuid=uuid,
                       from_task_state=TS.RESIZE_MIGRATING, to_task_state=TS.RESIZE_MIGRATED,
                       instance_values={"power_state": _power_state(driver, uuid)},
                       next_task=tasknames.FINISH_RESIZE, next_host=m.dest_host.name, request_id=request_id)

    _step(migration_id, request_id, side=SOURCE, status=MS.MIGRATING, task_state=TS.RESIZE_MIGRATING,
          event="compute_resize_instance", body=body)


def finish_resize(*, migration_id: int, request_id: str) -> None:
    def body(m, uuid, host, driver):
        volumes = instance_volumes_mount(uuid)  # again (idempotent): a restart may have lost them
        driver.finish_migration(_spec(m, new=True), volumes, power_on=m.power_on)
        migration_step(migration_id=m.pk, from_status=MS.POST_MIGRATING, to_status=MS.FINISHED, instance_uuid=uuid,
                       from_task_state=TS.RESIZE_MIGRATED, to_task_state=None, move=TO_DEST,
                       instance_values={"vm_state": VmState.RESIZED, "power_state": _power_state(driver, uuid)})

    # A failure here leaves the old guest off on the source: ERROR, as Nova; a hard reboot restarts it there.
    _step(migration_id, request_id, side=DEST, status=MS.POST_MIGRATING, task_state=TS.RESIZE_MIGRATED,
          event="compute_finish_resize", last=True, error_state=True, cleanup=_remove_guest_here, body=body)


def confirm_resize(*, migration_id: int, request_id: str) -> None:
    def body(m, uuid, host, driver):
        if m.source_host_id != m.dest_host_id:
            driver.destroy(uuid)
            instance_volumes_release_mounts(uuid)  # the guest has left this host
        migration_step(migration_id=m.pk, from_status=MS.CONFIRMING, to_status=MS.CONFIRMED, instance_uuid=uuid,
                       from_task_state=TS.RESIZE_CONFIRMING, to_task_state=None, release_source=True,
                       instance_values={"vm_state": _finished_vm_state(m)})

    _step(migration_id, request_id, side=SOURCE, status=MS.CONFIRMING, task_state=TS.RESIZE_CONFIRMING,
          event="compute_confirm_resize", last=True, error_state=True, body=body)


def revert_resize(*, migration_id: int, request_id: str) -> None:
    def body(m, uuid, host, driver):
        _remove_guest_here(m, uuid, driver)
        migration_step(migration_id=m.pk, from_status=MS.REVERTING, to_status=MS.REVERTING, instance_uuid=uuid,
                       from_task_state=TS.RESIZE_REVERTING, to_task_state=TS.RESIZE_REVERTING, move=BACK,
                       next_task=tasknames.FINISH_REVERT_RESIZE, next_host=m.source_host.name,
                       request_id=request_id)

    _step(migration_id, request_id, side=DEST, status=MS.REVERTING, task_state=TS.RESIZE_REVERTING, on=DEST,
          event="compute_revert_resize", error_state=True, body=body)


def finish_revert_resize(*, migration_id: int, request_id: str) -> None:
    def body(m, uuid, host, driver):
        volumes = instance_volumes_mount(uuid)  # never released here; re-asserted before the guest starts
        driver.finish_revert_migration(_spec(m, new=False), volumes, power_on=m.power_on)
        migration_step(migration_id=m.pk, from_status=MS.REVERTING, to_status=MS.REVERTED, instance_uuid=uuid,
                       from_task_state=TS.RESIZE_REVERTING, to_task_state=None,
                       instance_values={"vm_state": _finished_vm_state(m), "power_state": _power_state(driver, uuid)})

    _step(migration_id, request_id, side=SOURCE, status=MS.REVERTING, task_state=TS.RESIZE_REVERTING, on=SOURCE,
          event="compute_finish_revert_resize", last=True, error_state=True, body=body)


# --- live migration ------------------------------------------------------------------------------------

def pre_live_migration(*, migration_id: int, request_id: str) -> None:
    def body(m, uuid, host, driver):
        instance_volumes_mount(uuid)  # before the guest arrives
        migration_step(migration_id=m.pk, from_status=MS.ACCEPTED, to_status=MS.RUNNING, instance_uuid=uuid,
                       from_task_state=TS.MIGRATING, to_task_state=TS.MIGRATING,
                       next_task=tasknames.LIVE_MIGRATION, next_host=m.source_host.name, request_id=request_id)

    _step(migration_id, request_id, side=DEST, status=MS.ACCEPTED, task_state=TS.MIGRATING,
          event="compute_pre_live_migration", body=body)


def live_migration(*, migration_id: int, request_id: str) -> None:
    def body(m, uuid, host, driver):
        driver.live_migrate(uuid, m.dest_host.name, instance_volume_connections_on(uuid, m.dest_host.name),
                            block_migration=m.block_migration)
        instance_volumes_release_mounts(uuid)  # the guest has left this host
        migration_step(migration_id=m.pk, from_status=MS.RUNNING, to_status=MS.COMPLETED, instance_uuid=uuid,
                       from_task_state=TS.MIGRATING, to_task_state=None, move=TO_DEST, release_source=True)

    # The driver promises a failed live migration leaves the guest running here: the task_state is reverted.
    _step(migration_id, request_id, side=SOURCE, status=MS.RUNNING, task_state=TS.MIGRATING, on=SOURCE,
          event="compute_live_migration", last=True, body=body)


# --- evacuate ------------------------------------------------------------------------------------------

def evacuate_instance(*, migration_id: int, request_id: str) -> None:
    def body(m, uuid, host, driver):
        volumes = instance_volumes_mount(uuid)  # before the guest starts here
        driver.destroy(uuid)  # what an interrupted attempt left: rebuilt from the image, from scratch
        driver.spawn(_spec(m, new=True))
        for conn in volumes:
            driver.attach_volume(uuid, conn)
        if not m.power_on:
            driver.power_off(uuid)
        migration_step(migration_id=m.pk, from_status=MS.ACCEPTED, to_status=MS.DONE, instance_uuid=uuid,
                       from_task_state=TS.REBUILDING, to_task_state=None, move=TO_DEST, release_source=True,
                       instance_values={"vm_state": _finished_vm_state(m), "power_state": _power_state(driver, uuid)})

    _step(migration_id, request_id, side=DEST, status=MS.ACCEPTED, task_state=TS.REBUILDING,
          event="compute_rebuild_instance", last=True, error_state=True, cleanup=_remove_guest_here, body=body)


def evacuated_guest_cleanup(m: Migration) -> None:
    """On the source's return (its recovery): the guest evacuated while it was down goes, then its mounts."""
    uuid, driver = str(m.instance.uuid), get_driver()
    with instance_lock(uuid):
        driver.destroy(uuid)
        instance_volumes_release_mounts(uuid)
        migration_evacuation_cleaned(migration_id=m.pk)
    logger.info("evacuated instance %s: old guest and mounts removed from %s (migration %s)", uuid, this_host(), m.pk)

