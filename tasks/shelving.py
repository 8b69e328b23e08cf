"""shelve, shelve offload and unshelve on a host.

shelve: power off, snapshot into the shelved image, SHELVED; with SHELVED_OFFLOAD_TIME 0 the offload
follows at once (Nova's order, as one action). offload: the guest destroyed, then its attachments leave
the exports' sets here (the last one unmounts), then the database gives the host back (claim released,
attachments held by no host). unshelve: on a SHELVED guest still here, power on; otherwise the exports
mounted first (MountManager attach), then the guest spawned from the snapshot, then the volumes plugged.
"""
import logging

from django.conf import settings
from django.utils import timezone

from compute_platform.compute.models import Instance
from compute_platform.compute.move_rules import MOVE_RULES
from compute_platform.compute.services.instance_lifecycle import instance_task_revert, instance_task_transition
from compute_platform.compute.services.instance_move_records import instance_offloaded, instance_unshelve_failed
from compute_platform.compute.states import TaskState, VmState
from compute_platform.images.models import Image
from compute_platform.images.services.images import image_discard, image_kill
from compute_platform.network.services.instance_moved import instance_network_moved

from .events import instance_event
from .locks import instance_lock
from .manager import _power_state
from .move_gate import still_wanted
from .runtime import get_driver, this_host
from .snapshots import snapshot_to_image
from .specs import instance_spec
from .volume_manager import instance_volumes_mount, instance_volumes_reassert, instance_volumes_release_mounts

logger = logging.getLogger(__name__)


def shelve_instance(*, instance_uuid: str, request_id: str | None) -> None:
    rule, host, driver = MOVE_RULES["shelve"], this_host(), get_driver()
    with instance_lock(instance_uuid):
        if not still_wanted(instance_uuid, rule, request_id):
            return
        image_id = Instance.objects.values_list("shelved_image_id", flat=True).get(uuid=instance_uuid)
        offload_now = settings.SHELVED_OFFLOAD_TIME == 0

        def failed(exc, details):
            if image_id is not None:
                image_kill(image_id=image_id)
            instance_task_revert(instance_uuid=instance_uuid, task_state=rule.task_state, host=host,
                                 power_state=_power_state(driver, instance_uuid), message=f"Shelve failed: {exc}",
                                 details=details)

        with instance_event(request_id=request_id, event=rule.event, host=host, on_error=failed,
                            what=f"shelve of {instance_uuid} into image {image_id}") as ev:
            driver.power_off(instance_uuid)
            snapshot_to_image(instance_uuid, image_id)
            instance_task_transition(
                instance_uuid=instance_uuid, from_task_state=rule.task_state,
                to_task_state=TaskState.SHELVING_OFFLOADING if offload_now else None, vm_state=VmState.SHELVED,
                power_state=_power_state(driver, instance_uuid), shelved_at=timezone.now())
            logger.info("instance %s shelved into image %s on %s (%s)", instance_uuid, image_id, host, request_id)
        if offload_now and not ev.failed:
            _offload(instance_uuid, request_id, host, driver)


def shelve_offload_instance(*, instance_uuid: str, request_id: str | None) -> None:
    rule, host, driver = MOVE_RULES["shelveOffload"], this_host(), get_driver()
    with instance_lock(instance_uuid):
        if not still_wanted(instance_uuid, rule, request_id):
            return
        _offload(instance_uuid, request_id, host, driver)


def _offload(instance_uuid: str, request_id: str | None, host: str, driver) -> None:
    rule = MOVE_RULES["shelveOffload"]

    def failed(exc, details):
        instance_task_revert(instance_uuid=instance_uuid, task_state=rule.task_state, host=host, power_state=None,
                             message=f"Shelve offload failed: {exc}", details=details)

    with instance_event(request_id=request_id, event=rule.event, host=host, on_error=failed,
                        what=f"shelve offload of {instance_uuid}") as ev:
        driver.destroy(instance_uuid)
        # The guest has left: only now may its exports be released here (never raises for a mount).
        ev.on_error = None
        instance_volumes_release_mounts(instance_uuid)
        if instance_offloaded(instance_uuid=instance_uuid):
            instance_network_moved(instance_uuid=instance_uuid, source=host, dest=None)  # its NAT here goes
        logger.info("instance %s offloaded from %s (%s)", instance_uuid, host, request_id)


def unshelve_instance(*, instance_uuid: str, request_id: str | None) -> None:
    rule, host, driver = MOVE_RULES["unshelve"], this_host(), get_driver()
    with instance_lock(instance_uuid):
        if not still_wanted(instance_uuid, rule, request_id):
            return
        instance = Instance.objects.select_related("image").get(uuid=instance_uuid)
        image = Image.objects.filter(pk=instance.shelved_image_id).first() if instance.shelved_image_id else None
        guest_here = instance.vm_state == VmState.SHELVED and instance_uuid in driver.list_instances()

        def failed(exc, details):
            if guest_here:
                instance_task_revert(instance_uuid=instance_uuid, task_state=rule.task_state, host=host,
                                     power_state=_power_state(driver, instance_uuid),
                                     message=f"Unshelve failed: {exc}", details=details)
                return
            driver.destroy(instance_uuid)  # the guest first, then its mounts: never the other way round
            instance_volumes_release_mounts(instance_uuid)
            instance_unshelve_failed(instance_uuid=instance_uuid, host=host, details=details,
                                     message=f"Unshelve of instance {instance_uuid} failed on {host}: {exc}")

        with instance_event(request_id=request_id, event=rule.event, host=host, on_error=failed,
                            what=f"unshelve of {instance_uuid} from image {instance.shelved_image_id}"):
            if guest_here:
                instance_volumes_reassert(instance_uuid)
                driver.power_on(instance_uuid)
            else:
                if image is None or image.status != "active":
                    raise RuntimeError(f"the shelved image {instance.shelved_image_id} is not available "
                                       f"({image and image.status})")
                driver.destroy(instance_uuid)  # leftovers of an unshelve cut short
                instance_volumes_mount(instance_uuid)  # exports mounted before the guest starts here
                driver.spawn(instance_spec(instance, image=image))
                instance_volumes_reassert(instance_uuid)
            instance_task_transition(instance_uuid=instance_uuid, from_task_state=rule.task_state, to_task_state=None,
                                     vm_state=VmState.ACTIVE, power_state=_power_state(driver, instance_uuid),
                                     shelved_image_id=None, shelved_at=None)
            if not guest_here:  # back on a host after the offload: its sets and NAT come here
                instance_network_moved(instance_uuid=instance_uuid, source=None, dest=host)
            if image is not None:
                image_discard(image_id=image.id)  # Nova deletes the shelved snapshot once unshelved
            logger.info("instance %s unshelved on %s (%s)", instance_uuid, host, request_id)
