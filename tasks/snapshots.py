"""createImage on the instance's host: the driver writes a qcow2 of the root disk, the image service takes
it as the queued image's data. A failure kills the image (Glance's `killed`) and reverts the task_state."""
import logging
from pathlib import Path

from django.conf import settings

from compute_platform.compute.move_rules import MOVE_RULES
from compute_platform.compute.services.instance_lifecycle import instance_task_revert, instance_task_transition
from compute_platform.images.models import Image
from compute_platform.compute.services.instance_backup import ROTATION_KEY
from compute_platform.images.services.images import image_backups_rotate, image_kill, image_store_file

from .events import instance_event
from .locks import instance_lock
from .manager import _power_state
from .move_gate import still_wanted
from .runtime import get_driver, this_host

logger = logging.getLogger(__name__)


def snapshot_image_of(request_id: str | None):
    """The queued image a createImage or shelve request made (by its hidden `_request_id`)."""
    if not request_id:
        return None
    return Image.objects.filter(properties__contains={"_request_id": request_id}).first()


def snapshot_to_image(instance_uuid: str, image_id) -> None:
    """Write the guest's snapshot and store it as the image's data (a repeat of a stored one does nothing)."""
    directory = Path(settings.COMPUTE_STATE_DIR) / "snapshots"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{image_id}.qcow2"
    try:
        get_driver().snapshot(instance_uuid, str(path))
        image_store_file(image_id=image_id, path=str(path))
    finally:
        path.unlink(missing_ok=True)


def snapshot_instance(*, instance_uuid: str, request_id: str | None) -> None:
    _snapshot("createImage", instance_uuid, request_id)


def backup_instance(*, instance_uuid: str, request_id: str | None) -> None:
    """createBackup: the snapshot, then the rotation (only after a stored backup, as Nova's)."""
    def rotate(image):
        props = image.properties or {}
        image_backups_rotate(instance_uuid=instance_uuid, backup_type=props.get("backup_type", ""),
                             rotation=int(props.get(ROTATION_KEY, 0)))
    _snapshot("createBackup", instance_uuid, request_id, after=rotate)


def _snapshot(rule_key: str, instance_uuid: str, request_id: str | None, after=None) -> None:
    rule, host, driver = MOVE_RULES[rule_key], this_host(), get_driver()
    with instance_lock(instance_uuid):
        if not still_wanted(instance_uuid, rule, request_id):
            return
        image = snapshot_image_of(request_id)

        def failed(exc, details):
            if image is not None:
                image_kill(image_id=image.id)
            instance_task_revert(instance_uuid=instance_uuid, task_state=rule.task_state, host=host,
                                 power_state=_power_state(driver, instance_uuid),
                                 message=f"Snapshot failed: {exc}", details=details)

        with instance_event(request_id=request_id, event=rule.event, host=host, on_error=failed,
                            what=f"snapshot of {instance_uuid} into image {image and image.id}"):
            if image is None or image.status not in ("queued", "saving"):
                raise RuntimeError(f"the snapshot's image is gone ({image and image.status})")
            snapshot_to_image(instance_uuid, image.id)
            if after is not None:
                after(image)
            instance_task_transition(instance_uuid=instance_uuid, from_task_state=rule.task_state, to_task_state=None)
            logger.info("instance %s: %s stored as image %s (%s)", instance_uuid, rule_key, image.id, request_id)
