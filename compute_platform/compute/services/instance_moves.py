"""Moves requested through the API: resize (and its confirm and revert), cold and live migration, evacuate.

Each claims the instance's task_state with one conditional UPDATE (of two concurrent requests exactly one
starts), claims the destination's resources (scheduler/claims.py: the database refuses an overcommit, so N
concurrent moves onto a host with room for fewer all but fail), records a Migration, and hands the first step
to the host that does it once the transaction commits. The steps themselves are tasks/move_manager.py's.
"""
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from compute_platform import tasknames
from compute_platform.tasknames import host_queue

from ..exceptions import BadRequest, Conflict, NoValidHost, NotFound
from ..models import Flavor, Host, Instance, Migration, ServerGroup
from ..models.migrations import MigrationStatus, MigrationType
from ..scheduler.claims import claim_on_host, schedule_and_claim
from ..scheduler.filters import RequestSpec
from ..states import TaskState, VmState, action_conflict_message
from .actions import action_event_record, action_start
from .dispatch import task_enqueue_on_commit
from .instance_claims import instance_task_state_claim
from .quotas import quota_check_resize

logger = logging.getLogger(__name__)

# Nova's check_instance_state for each move.
RESIZE_FROM = (VmState.ACTIVE, VmState.STOPPED)
LIVE_MIGRATE_FROM = (VmState.ACTIVE, VmState.PAUSED)
EVACUATE_FROM = (VmState.ACTIVE, VmState.STOPPED, VmState.ERROR)


def _claim_task_state(context, instance: Instance, *, action: str, allowed: tuple, task_state: str,
                      check_lock: bool = True) -> Instance:
    """instance_task_state_claim in the caller's transaction; returns the row as the move reads it."""
    instance_task_state_claim(context=context, instance=instance, action=action, allowed_from=allowed,
                              task_state=task_state, check_lock=check_lock)
    return Instance.objects.select_related("host", "flavor").get(pk=instance.pk)


def _group_state(instance: Instance) -> tuple[str | None, dict, int]:
    """(policy, {host id: members there}, max per host) of the instance's server group, read under the
    group's row lock so concurrent moves and boots into the group see each other. The moving instance is
    not counted where it is; members on the move count on their destination too."""
    if instance.server_group_id is None:
        return None, {}, 1
    group = ServerGroup.objects.select_for_update(no_key=True).get(pk=instance.server_group_id)
    members = Instance.objects.filter(server_group=group).exclude(vm_state=VmState.DELETED).exclude(pk=instance.pk)
    per_host = {row["host_id"]: row["n"] for row in members.values("host_id").annotate(n=Count("id"))
                if row["host_id"] is not None}
    moving = Migration.objects.filter(instance__in=members).exclude(status__in=MigrationStatus.CLOSED)
    for dest_id in moving.values_list("dest_host_id", flat=True):
        per_host[dest_id] = per_host.get(dest_id, 0) + 1
    max_per_host = int((group.rules or {}).get("max_server_per_host", 1)) if group.policy == "anti-affinity" else 1
    return group.policy, per_host, max_per_host


def _host_named(name: str) -> Host:
    host = Host.objects.filter(name=name).first()
    if host is None:
        raise BadRequest(f"Compute host {name} could not be found.")
    return host


def _claim_destination(instance: Instance, flavor: Flavor, *, host_name: str | None, force: bool,
                       ignore_source: bool) -> Host:
    """Schedule (or check the named host, unless forced) and claim `flavor`'s resources there. 400 when no
    host can take it (Nova's NoValidHost from a move's API call)."""
    policy, group_hosts, max_per_host = _group_state(instance)
    spec = RequestSpec(instance_uuid=str(instance.uuid), project_id=instance.project_id, vcpus=flavor.vcpus,
                       memory_mb=flavor.memory_mb, root_gb=flavor.root_gb,
                       availability_zone=instance.availability_zone, group_policy=policy, group_hosts=group_hosts,
                       group_max_per_host=max_per_host,
                       ignore_hosts=(instance.host_id,) if ignore_source else ())
    try:
        if host_name:
            target = _host_named(host_name)
            if target.pk == instance.host_id and ignore_source:
                raise BadRequest(f"Unable to migrate instance ({instance.uuid}) to current host ({host_name}).")
            claim_on_host(spec=spec, host_id=target.pk, check=not force)
            return target
        return Host.objects.get(pk=schedule_and_claim(spec=spec).id)
    except NoValidHost as exc:
        raise BadRequest(exc.message) from exc


def _start(*, context, instance: Instance, action: str, event: str, migration_type: str, status: str,
           new_flavor: Flavor, dest: Host, first_task: str, block_migration: bool = False) -> Migration:
    migration = Migration.objects.create(
        instance=instance, migration_type=migration_type, status=status, source_host=instance.host, dest_host=dest,
        old_flavor=instance.flavor, new_flavor=new_flavor, old_vcpus=instance.vcpus,
        old_memory_mb=instance.memory_mb, old_root_gb=instance.root_gb, new_vcpus=new_flavor.vcpus,
        new_memory_mb=new_flavor.memory_mb, new_root_gb=new_flavor.root_gb, dest_claimed=True,
        block_migration=block_migration, power_on=instance.vm_state != VmState.STOPPED,
        request_id=context.request_id)
    act = action_start(instance=instance, action=action, context=context)
    action_event_record(action=act, event=event, started=timezone.now())
    task_enqueue_on_commit(task_name=first_task, queue=host_queue(dest.name),
                           kwargs={"migration_id": migration.pk, "request_id": context.request_id})
    logger.info("instance %s: %s from %s to %s requested (migration %s, %s)", instance.uuid, action,
                instance.host.name, dest.name, migration.pk, context.request_id)
    return migration


def instance_resize(*, context, instance: Instance, flavor: Flavor) -> Migration:
    """Resize to `flavor`, to another host unless ALLOW_RESIZE_TO_SAME_HOST; ends in VERIFY_RESIZE."""
    if flavor.pk == instance.flavor_id:
        raise BadRequest("When resizing, instances must change flavor!")
    if flavor.root_gb < instance.root_gb:
        raise BadRequest("Resize to zero disk flavor is not allowed." if not flavor.root_gb else
                         "Unable to resize disk down.")
    with transaction.atomic():
        quota_check_resize(project_id=instance.project_id, vcpus=flavor.vcpus - instance.vcpus,
                           memory_mb=flavor.memory_mb - instance.memory_mb)
        inst = _claim_task_state(context, instance, action="resize", allowed=RESIZE_FROM,
                                 task_state=TaskState.RESIZE_PREP)
        dest = _claim_destination(inst, flavor, host_name=None, force=False,
                                  ignore_source=not settings.ALLOW_RESIZE_TO_SAME_HOST)
        return _start(context=context, instance=inst, action="resize", event="conductor_migrate_server",
                      migration_type=MigrationType.RESIZE, status=MigrationStatus.PRE_MIGRATING, new_flavor=flavor,
                      dest=dest, first_task=tasknames.PREP_RESIZE)


def instance_migrate(*, context, instance: Instance, host_name: str | None = None) -> Migration:
    """Cold migration (admin): the same flavor on another host; ends in VERIFY_RESIZE, as Nova's."""
    with transaction.atomic():
        inst = _claim_task_state(context, instance, action="migrate", allowed=RESIZE_FROM,
                                 task_state=TaskState.RESIZE_PREP)
        dest = _claim_destination(inst, inst.flavor, host_name=host_name, force=False, ignore_source=True)
        return _start(context=context, instance=inst, action="migrate", event="conductor_migrate_server",
                      migration_type=MigrationType.MIGRATION, status=MigrationStatus.PRE_MIGRATING,
                      new_flavor=inst.flavor, dest=dest, first_task=tasknames.PREP_RESIZE)


def instance_live_migrate(*, context, instance: Instance, host_name: str | None = None,
                          block_migration: bool | None = None, force: bool = False) -> Migration:
    """Live migration (admin) to `host_name` (checked by the filters unless `force`) or the scheduler's pick.
    `block_migration` None is Nova's `auto`: with shared volumes and a local root disk, a block migration; a
    volume-backed server (no image: its root disk is a volume on a shared export) has no local disk to copy."""
    with transaction.atomic():
        inst = _claim_task_state(context, instance, action="os-migrateLive", allowed=LIVE_MIGRATE_FROM,
                                 task_state=TaskState.MIGRATING)
        dest = _claim_destination(inst, inst.flavor, host_name=host_name, force=force, ignore_source=True)
        return _start(context=context, instance=inst, action="live-migration",
                      event="conductor_live_migrate_instance", migration_type=MigrationType.LIVE,
                      status=MigrationStatus.ACCEPTED, new_flavor=inst.flavor, dest=dest,
                      first_task=tasknames.PRE_LIVE_MIGRATION,
                      block_migration=(inst.image_id is not None) if block_migration is None else block_migration)


def instance_evacuate(*, context, instance: Instance, host_name: str | None = None, force: bool = False) -> Migration:
    """Evacuate (admin) from a host that is down: rebuilt elsewhere from its image, its volumes attached again.
    400 while the host is up (Nova: its compute service is still in use)."""
    if instance.host is None:
        raise Conflict(action_conflict_message("evacuate", str(instance.uuid), instance.vm_state,
                                               instance.task_state))
    if instance.host.is_up:
        raise BadRequest(f"Compute service of {instance.host.name} is still in use.")
    with transaction.atomic():
        inst = _claim_task_state(context, instance, action="evacuate", allowed=EVACUATE_FROM,
                                 task_state=TaskState.REBUILDING, check_lock=False)
        dest = _claim_destination(inst, inst.flavor, host_name=host_name, force=force, ignore_source=True)
        return _start(context=context, instance=inst, action="evacuate", event="conductor_rebuild_server",
                      migration_type=MigrationType.EVACUATION, status=MigrationStatus.ACCEPTED,
                      new_flavor=inst.flavor, dest=dest, first_task=tasknames.EVACUATE_INSTANCE)


def _finished_migration(instance: Instance) -> Migration:
    m = (Migration.objects.select_for_update().select_related("source_host", "dest_host")
         .filter(instance=instance, status=MigrationStatus.FINISHED).order_by("-id").first())
    if m is None:
        raise BadRequest(f"Instance {instance.uuid} has not been resized.")
    return m


def _verify_step(*, context, instance: Instance, action: str, task_state: str, status: str, task: str,
                 on_source: bool) -> Migration:
    with transaction.atomic():
        inst = _claim_task_state(context, instance, action=action, allowed=(VmState.RESIZED,),
                                 task_state=task_state)
        m = _finished_migration(inst)
        Migration.objects.filter(pk=m.pk).update(status=status, updated_at=timezone.now())
        action_start(instance=inst, action=action, context=context)
        host = m.source_host if on_source else m.dest_host
        task_enqueue_on_commit(task_name=task, queue=host_queue(host.name),
                               kwargs={"migration_id": m.pk, "request_id": context.request_id})
    logger.info("instance %s: %s requested (migration %s, %s)", instance.uuid, action, m.pk, context.request_id)
    return m


def instance_resize_confirm(*, context, instance: Instance) -> Migration:
    """The source gives up the old guest, its mounts and its claim."""
    return _verify_step(context=context, instance=instance, action="confirmResize",
                        task_state=TaskState.RESIZE_CONFIRMING, status=MigrationStatus.CONFIRMING,
                        task=tasknames.CONFIRM_RESIZE, on_source=True)


def instance_resize_revert(*, context, instance: Instance) -> Migration:
    """The destination removes the new guest, then the source starts the old one again."""
    return _verify_step(context=context, instance=instance, action="revertResize",
                        task_state=TaskState.RESIZE_REVERTING, status=MigrationStatus.REVERTING,
                        task=tasknames.REVERT_RESIZE, on_source=False)


def migration_force_complete(*, context, instance: Instance, migration_id: int) -> None:
    """Accepted for a running live migration (ours converge without pausing the guest, so there is nothing
    to force); 400 for any other migration, as Nova's."""
    m = Migration.objects.filter(pk=migration_id, instance=instance).first()
    if m is None:
        raise NotFound(f"Instance {instance.uuid} is not migrating: migration {migration_id} not found.")
    if m.migration_type != MigrationType.LIVE or m.status != MigrationStatus.RUNNING:
        raise BadRequest(f"Migration {migration_id} state of instance {instance.uuid} is {m.status}. Cannot "
                         f"force_complete while the migration is in this state.")
    logger.info("instance %s: force_complete of migration %s accepted (%s)", instance.uuid, m.pk,
                context.request_id)

