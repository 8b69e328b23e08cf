"""rescue and unrescue on the instance's host. A failure reverts the task_state (Nova's
reverts_task_state); the guest is as the driver left it, and the power sync reports it."""
import logging

from compute_platform.compute.models import Instance
from compute_platform.compute.move_rules import MOVE_RULES
from compute_platform.compute.services.instance_lifecycle import instance_task_revert, instance_task_transition
from compute_platform.compute.states import VmState
from compute_platform.images.models import Image

from .events import instance_event
from .locks import instance_lock
from .manager import _power_state
from .move_gate import still_wanted
from .runtime import get_driver, this_host
from .specs import image_ref
from .volume_manager import instance_volumes_reassert

logger = logging.getLogger(__name__)


def _run(instance_uuid: str, request_id: str | None, key: str, work, vm_state: str, **values) -> None:
    rule, host, driver = MOVE_RULES[key], this_host(), get_driver()
    with instance_lock(instance_uuid):
        if not still_wanted(instance_uuid, rule, request_id):
            return

        def failed(exc, details):
            instance_task_revert(instance_uuid=instance_uuid, task_state=rule.task_state, host=host,
                                 power_state=_power_state(driver, instance_uuid), message=f"{key} failed: {exc}",
                                 details=details)

        with instance_event(request_id=request_id, event=rule.event, host=host, on_error=failed,
                            what=f"{key} of {instance_uuid}"):
            work(driver)
            instance_task_transition(instance_uuid=instance_uuid, from_task_state=rule.task_state, to_task_state=None,
                                     vm_state=vm_state, power_state=_power_state(driver, instance_uuid), **values)
            logger.info("instance %s: %s done on %s (%s)", instance_uuid, key, host, request_id)


def rescue_instance(*, instance_uuid: str, request_id: str | None) -> None:
    def work(driver):
        inst = Instance.objects.select_related("image").get(uuid=instance_uuid)
        image = Image.objects.filter(pk=inst.rescue_image_id).first() if inst.rescue_image_id else inst.image
        driver.rescue(instance_uuid, image_ref(image))

    _run(instance_uuid, request_id, "rescue", work, VmState.RESCUED)


def unrescue_instance(*, instance_uuid: str, request_id: str | None) -> None:
    def work(driver):
        driver.unrescue(instance_uuid)
        instance_volumes_reassert(instance_uuid)  # its own definition is back: its volumes' mounts too

    _run(instance_uuid, request_id, "unrescue", work, VmState.ACTIVE, rescue_image_id=None)
