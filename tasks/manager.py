"""The compute manager: what a host's worker does for each instance task.

Each entry point takes ids, serializes on the instance (locks.instance_lock), re-checks the state
the work was claimed under (so a duplicate delivery is a no-op), calls the driver, and records the
outcome through the domain's services.
"""
import dataclasses
import logging

from compute_platform.compute.models import Instance, InstanceAction
from compute_platform.compute.services.instance_lifecycle import (
    instance_build_failed, instance_set_error, instance_task_complete, instance_task_revert,
    instance_task_transition,
)
from compute_platform.compute.services.instances import instance_mark_deleted
from compute_platform.compute.states import ACTIONS, TaskState, VmState
from compute_platform.network.services.instance_ports import instance_ports_activate
from compute_platform.volumes.services.boot_volumes import instance_block_devices_attached
from hypervisors.base import InstanceNotFound

from .events import instance_event
from .locks import instance_lock
from .network_push import plugged_ports_settle, rules_pushes_applied
from .runtime import get_driver, this_host
from .specs import instance_spec
from .volume_manager import instance_volumes_mount, instance_volumes_reassert, instance_volumes_release_mounts

logger = logging.getLogger(__name__)

# Nova's event names, so `openstack server event show` reads as it does against Nova.
EVENT_NAMES = {
    "stop": "compute_stop_instance", "start": "compute_start_instance",
    "reboot": "compute_reboot_instance", "reboot_hard": "compute_reboot_instance",
    "pause": "compute_pause_instance", "unpause": "compute_unpause_instance",
    "suspend": "compute_suspend_instance", "resume": "compute_resume_instance",
}

DRIVER_CALLS = {
    "stop": lambda d, u: d.power_off(u),
    "start": lambda d, u: d.power_on(u),
    "reboot": lambda d, u: d.reboot(u, hard=False),
    "reboot_hard": lambda d, u: d.reboot(u, hard=True),
    "pause": lambda d, u: d.pause(u),
    "unpause": lambda d, u: d.unpause(u),
    "suspend": lambda d, u: d.suspend(u),
    "resume": lambda d, u: d.resume(u),
}

# Actions that (re)start the guest: its volumes' exports are mounted and its volumes plugged in first, so a
# guest never boots without a disk it had (the mount may have gone while it was off).
REASSERT_VOLUMES = frozenset({"start", "reboot", "reboot_hard"})


def _power_state(driver, instance_uuid: str) -> int:
    try:
        return int(driver.get_info(instance_uuid).power_state)
    except InstanceNotFound:
        return 0


def _action_done(request_id: str) -> bool:
    return InstanceAction.objects.filter(request_id=request_id, finish_time__isnull=False).exists()


def build_instance(*, instance_uuid: str, request_id: str, block_devices: bool = True, ports: bool = True) -> None:
    """`block_devices`, `ports`: the create recorded volumes, ports for the build (else it reads none: no
    volume or interface can be attached to a server while it builds). A message sent without them reads both."""
    host, driver = this_host(), get_driver()
    with instance_lock(instance_uuid):
        # The gate: only the first delivery moves scheduling -> spawning; a delete that came first
        # moved it to deleting, and then there is nothing to build.
        if not instance_task_transition(instance_uuid=instance_uuid, from_task_state=TaskState.SCHEDULING,
                                        to_task_state=TaskState.SPAWNING):
            logger.info("build of %s skipped: no longer scheduling (%s)", instance_uuid, request_id)
            return
        instance = Instance.objects.select_related("image", "host").get(uuid=instance_uuid)
        spawned = False

        def failed(exc, details):
            # The driver promises a failed spawn leaves nothing; a failure after it removes the guest, then
            # its volumes' mounts are released (never under a guest), then the claim goes back to the host.
            if spawned:
                driver.destroy(instance_uuid)
            instance_volumes_release_mounts(instance_uuid)
            instance_build_failed(instance_uuid=instance_uuid, host=host, details=details,
                                  message=f"Build of instance {instance_uuid} aborted: {exc}")

        with instance_event(request_id=request_id, event="compute__do_build_and_run_instance", host=host,
                            what=f"build of {instance_uuid}", on_error=failed):
            # Volumes given at create (boot from volume): their exports mounted before the guest starts.
            volumes = instance_volumes_mount(instance_uuid) if block_devices else []
            rules_pushes = rules_pushes_applied(host)
            spec = instance_spec(instance, vifs=None if ports else ())
            driver.spawn(spec)
            spawned = True
            for conn in volumes:  # the boot volume is the guest's already: a no-op for it
                driver.attach_volume(instance_uuid, conn)
            if block_devices:
                instance_block_devices_attached(instance_uuid=instance_uuid)
            if spec.vifs:  # no port can join meanwhile: an interface attaches only to a server with no task
                plugged_ports_settle(host, instance_uuid, spec.vifs, rules_pushes=rules_pushes)
                instance_ports_activate(instance_uuid=instance_uuid, host=host, port_ids=[v.port_id for v in spec.vifs])
            if not instance_task_complete(instance_uuid=instance_uuid, task_state=TaskState.SPAWNING,
                                          vm_state=VmState.ACTIVE, power_state=_power_state(driver, instance_uuid)):
                logger.info("instance %s was claimed by another request during its build", instance_uuid)


def run_action(*, instance_uuid: str, request_id: str, action_key: str) -> None:
    rule, host, driver = ACTIONS[action_key], this_host(), get_driver()
    with instance_lock(instance_uuid):
        current = Instance.objects.filter(uuid=instance_uuid).values_list("task_state", flat=True).first()
        if current != rule.task_state or _action_done(request_id):
            logger.info("%s of %s skipped: task_state is %s (%s)", action_key, instance_uuid, current, request_id)
            return

        def revert(exc, details):
            instance_task_revert(instance_uuid=instance_uuid, task_state=rule.task_state,
                                 power_state=_power_state(driver, instance_uuid), host=host,
                                 message=f"{rule.name} failed: {exc}", details=details)

        with instance_event(request_id=request_id, event=EVENT_NAMES[action_key], host=host,
                            what=f"{action_key} of {instance_uuid}", on_error=revert):
            if action_key in REASSERT_VOLUMES:
                instance_volumes_reassert(instance_uuid)
            DRIVER_CALLS[action_key](driver, instance_uuid)
            instance_task_complete(instance_uuid=instance_uuid, task_state=rule.task_state,
                                   vm_state=rule.target_vm_state, power_state=_power_state(driver, instance_uuid))


def delete_instance(*, instance_uuid: str, request_id: str) -> None:
    host, driver = this_host(), get_driver()
    with instance_lock(instance_uuid):
        row = Instance.objects.filter(uuid=instance_uuid).values("vm_state", "task_state").first()
        if row is None or row["vm_state"] == VmState.DELETED or row["task_state"] != TaskState.DELETING:
            logger.info("delete of %s skipped: %s (%s)", instance_uuid, row, request_id)
            return

        def failed(exc, details):
            instance_set_error(instance_uuid=instance_uuid, expected_task_state=TaskState.DELETING, host=host,
                               message=f"Delete failed: {exc}", details=details)

        with instance_event(request_id=request_id, event="compute_terminate_instance", host=host,
                            what=f"delete of {instance_uuid}", on_error=failed) as ev:
            driver.destroy(instance_uuid)
            # The guest is gone: its attachments leave their exports' sets (the last one unmounts), then the
            # deletion releases them in the database (instance_mark_deleted). Neither raises for a mount.
            ev.on_error = None
            instance_volumes_release_mounts(instance_uuid)
            instance_mark_deleted(instance_uuid=instance_uuid)
    if not ev.failed:
        logger.info("instance %s deleted from %s (%s)", instance_uuid, host, request_id)


def host_uptime() -> str | None:
    """The host's uptime line; None when its driver cannot tell (the API answers 501)."""
    try:
        return get_driver().get_host_uptime()
    except NotImplementedError:
        return None


def diagnostics(*, instance_uuid: str) -> dict | None:
    """The driver's Diagnostics as plain JSON, or None when the guest is not on this host."""
    try:
        return dataclasses.asdict(get_driver().get_diagnostics(instance_uuid))
    except InstanceNotFound:
        return None


def console_output(*, instance_uuid: str, tail_lines: int | None) -> str:
    try:
        return get_driver().get_console_output(instance_uuid, tail_lines=tail_lines)
    except InstanceNotFound:
        return ""
