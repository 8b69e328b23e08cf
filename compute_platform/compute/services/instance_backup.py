"""createBackup (Nova's os-create-backup): a snapshot of image_type `backup`, after which the host deletes the
oldest backups of the same `backup_type` of this server beyond `rotation` (Nova's _rotate_backups)."""
from django.db import transaction

from compute_platform.images.models import Image
from compute_platform.images.services.images import image_snapshot_create

from ..exceptions import BadRequest
from ..models import Instance
from ..move_rules import MOVE_RULES
from .instance_claims import instance_lock_check, instance_move_start

# The hidden image property that carries the rotation to the host (the task takes ids only).
ROTATION_KEY = "_backup_rotation"


def instance_create_backup(*, context, instance: Instance, name: str, backup_type: str, rotation: int,
                           metadata: dict | None = None) -> Image:
    """The queued backup image and the `image_backup` claim commit together (as createImage's). 400 for a
    volume-backed server, as Nova's."""
    if instance.image_id is None:
        raise BadRequest("Backup is not supported for volume-backed instances.")
    instance_lock_check(context=context, instance=instance)
    with transaction.atomic():
        image = image_snapshot_create(
            context=context, instance=instance, name=name,
            metadata={**(metadata or {}), "image_type": "backup", "backup_type": backup_type},
            extra={"_request_id": context.request_id, ROTATION_KEY: rotation})
        instance_move_start(context=context, instance=instance, rule=MOVE_RULES["createBackup"])
    return image
