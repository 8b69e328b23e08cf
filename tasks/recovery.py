"""Host recovery at worker start (Nova's init_host): converge what a dead worker left in flight.

Runs in the worker process before it consumes its queue, so nothing races it on this host.
Rules: spawning -> ERROR (guest removed, claim released); scheduling -> build enqueued again
(the build task's gate makes a duplicate harmless); deleting -> finish the delete; rebooting ->
hard reboot; every other in-flight action -> redone (drivers are idempotent); rebuild, snapshot, shelve
and rescue states -> their rules in tasks/move_recovery.py; guests the
database does not know as live on this host -> destroyed (reaped); power states synced. Before all
that, the host's mounts are rebuilt (tasks/mounts.py) and its network data plane reconciled with the live
instances' ports (tasks/network_plane.py); after the instances, attaches and detaches in flight are redone.
"""
import logging

from compute_platform.compute.models import Instance
from compute_platform.compute.selectors import instance_open_request_id
from compute_platform.compute.services.actions import action_finish
from compute_platform.compute.services.hosts import host_register, host_usage_resync
from compute_platform.compute.services.instance_lifecycle import instance_build_failed, instance_task_transition
from compute_platform.compute.states import ACTION_BY_TASK_STATE, ACTIONS, TaskState, VmState
from compute_platform.compute.services.dispatch import task_send
from compute_platform.tasknames import host_queue
from compute_platform.volumes.models import VolumeAttachment
from compute_platform.volumes.models.attachments import AttachmentStatus

from . import manager, volume_manager
from .mounts import host_mounts_rebuild
from .network_plane import host_network_reconcile
from .move_recovery import MOVE_RULE_BY_TASK_STATE, move_recover
from .power_sync import host_sync_power_states
from .redrive import pending_work
from .runtime import get_driver, this_host

logger = logging.getLogger(__name__)


def host_register_from_driver():
    res = get_driver().get_host_resources()
    return host_register(name=this_host(), vcpus=res.vcpus, memory_mb=res.memory_mb, disk_gb=res.disk_gb,
                         hypervisor_type=res.hypervisor_type, hypervisor_version=res.hypervisor_version)


def host_attachments_redo(host: str) -> int:
    """Attaches and detaches a dead worker left in flight are done again (each step is idempotent); a
    Redis broker would redeliver their messages only after its visibility timeout."""
    pending = VolumeAttachment.objects.filter(host=host, status__in=(AttachmentStatus.ATTACHING,
                                                                     AttachmentStatus.DETACHING))
    redone = 0
    for att_id, status, request_id in pending.values_list("id", "status", "request_id"):
        logger.info("recovering attachment %s on %s from %s (%s)", att_id, host, status, request_id)
        work = volume_manager.attach_volume if status == AttachmentStatus.ATTACHING else volume_manager.detach_volume
        work(attachment_id=str(att_id), request_id=request_id)
        redone += 1
    return redone


def host_recover() -> dict:
    host, driver = this_host(), get_driver()
    host_register_from_driver()
    counts = {"errored": 0, "rebuilt": 0, "deleted": 0, "redone": 0, "reaped": 0}
    # First, before any work below mounts or unmounts: the MountManager's sets from the database and the
    # guests, and the kernel's mounts made to agree (a dead worker may have left either behind).
    counts["mounts"] = host_mounts_rebuild()
    # Then the network: a guest restarted below (a hard reboot redone) needs its bridge to exist.
    counts["network"] = host_network_reconcile()
    in_flight = Instance.objects.filter(host__name=host, task_state__isnull=False).exclude(vm_state=VmState.DELETED)
    for inst in in_flight:
        uuid, ts = str(inst.uuid), inst.task_state
        logger.info("recovering instance %s on %s from task_state %s", uuid, host, ts)
        if ts == TaskState.SCHEDULING:
            name, kwargs = pending_work(inst)
            task_send(task_name=name, queue=host_queue(host), kwargs=kwargs)
            counts["rebuilt"] += 1
        elif ts == TaskState.SPAWNING:
            driver.destroy(uuid)  # whatever the interrupted spawn left behind
            instance_build_failed(instance_uuid=uuid, host=host, message=f"Build of instance {uuid} was "
                                  f"interrupted by a restart of the compute worker on {host}")
            request_id = instance_open_request_id(instance_id=inst.id, action="create")
            if request_id:
                action_finish(request_id=request_id, error=True)
            counts["errored"] += 1
        elif ts == TaskState.DELETING:
            manager.delete_instance(instance_uuid=uuid,
                                    request_id=instance_open_request_id(instance_id=inst.id, action="delete"))
            counts["deleted"] += 1
        elif ts in ACTION_BY_TASK_STATE:
            key = ACTION_BY_TASK_STATE[ts]
            if ts == TaskState.REBOOTING:  # a soft reboot cut short is finished as a hard one (Nova)
                instance_task_transition(instance_uuid=uuid, from_task_state=ts,
                                         to_task_state=TaskState.REBOOTING_HARD)
                key = "reboot_hard"
            request_id = instance_open_request_id(instance_id=inst.id, action=ACTIONS[key].name)
            manager.run_action(instance_uuid=uuid, request_id=request_id, action_key=key)
            counts["redone"] += 1
        elif ts in MOVE_RULE_BY_TASK_STATE:  # rebuild, snapshot, shelve, rescue: tasks/move_recovery.py
            outcome = move_recover(inst, host)
            counts[outcome] = counts.get(outcome, 0) + 1
    counts["volumes"] = host_attachments_redo(host)
    live = {str(u) for u in Instance.objects.filter(host__name=host).exclude(
        vm_state=VmState.DELETED).values_list("uuid", flat=True)}
    for uuid in driver.list_instances():
        if uuid not in live:
            logger.warning("reaping guest %s on %s: no live instance owns it", uuid, host)
            driver.destroy(uuid)
            counts["reaped"] += 1
    counts.update(power=host_sync_power_states(), usage=host_usage_resync(name=host))
    logger.info("host %s recovered: %s", host, counts)
    return counts
