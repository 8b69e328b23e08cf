"""Rebuild on the instance's host (Nova's default rebuild: destroy, then spawn from the new image).

Volumes stay attached throughout: their attachments never leave the exports' sets, so the MountManager
keeps each export mounted while the guest is replaced, and the new guest gets them plugged in again.
A rebuild that fails leaves the instance in ERROR (Nova), from which it may be rebuilt again.
"""
import logging

from django.utils import timezone

from compute_platform.compute.models import Instance
from compute_platform.compute.move_rules import MOVE_RULES
from compute_platform.compute.services.instance_lifecycle import instance_set_error, instance_task_transition
from compute_platform.compute.states import TaskState, VmState

from .events import instance_event
from .locks import instance_lock
from .manager import _power_state
from .move_gate import still_wanted
from .runtime import get_driver, this_host
from .specs import instance_spec
from .volume_manager import instance_volumes_reassert

logger = logging.getLogger(__name__)


def rebuild_instance(*, instance_uuid: str, request_id: str | None) -> None:
    rule, host, driver = MOVE_RULES["rebuild"], this_host(), get_driver()
    with instance_lock(instance_uuid):
        if not still_wanted(instance_uuid, rule, request_id):
            return
        instance = Instance.objects.select_related("image").get(uuid=instance_uuid)
        keep_stopped = instance.vm_state == VmState.STOPPED  # Nova rebuilds a stopped server stopped

        def failed(exc, details):
            instance_set_error(instance_uuid=instance_uuid, expected_task_state=TaskState.REBUILDING, host=host,
                               message=f"Rebuild of instance {instance_uuid} failed: {exc}", details=details)

        with instance_event(request_id=request_id, event=rule.event, host=host, on_error=failed,
                            what=f"rebuild of {instance_uuid} from image {instance.image_id}"):
            driver.destroy(instance_uuid)
            driver.spawn(instance_spec(instance))
            instance_volumes_reassert(instance_uuid)
            if keep_stopped:
                driver.power_off(instance_uuid, timeout=0)
            instance_task_transition(instance_uuid=instance_uuid, from_task_state=TaskState.REBUILDING,
                                     to_task_state=None, vm_state=VmState.STOPPED if keep_stopped else VmState.ACTIVE,
                                     power_state=_power_state(driver, instance_uuid), launched_at=timezone.now())
            logger.info("instance %s rebuilt from image %s on %s (%s)", instance_uuid, instance.image_id, host,
                        request_id)
