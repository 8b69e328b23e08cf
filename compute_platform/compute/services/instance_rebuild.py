"""Rebuild (Nova's servers action `rebuild`): the same server (id, ports, volumes, host) from a new image."""
from django.db import transaction

from compute_platform.images.models import Image

from ..exceptions import BadRequest
from ..models import Instance
from ..move_rules import MOVE_RULES
from .instance_claims import instance_move_start
from .quotas import quota_check_metadata, quota_limits


def instance_rebuild(*, context, instance: Instance, image: Image, name: str | None = None,
                     metadata: dict | None = None) -> Instance:
    """Claim `rebuilding` and have the host rebuild from `image`: 400 for an image the flavor cannot hold or
    that is not active, 409 as Nova's check_instance_state. The new image (and name, metadata) are recorded
    with the claim, so a redriven rebuild builds the same.

    A volume-backed server (no image) keeps its boot volume as it is, as Nova's below 2.93 (which reimages
    the volume, not served here): rebuilt with its volume's own image, 400 for another."""
    from compute_platform.volumes.selectors import instance_boot_volume_image_id

    volume_backed = instance.image_id is None
    if volume_backed and str(image.id) != instance_boot_volume_image_id(instance_id=instance.id):
        raise BadRequest(f"Image {image.id} is unacceptable: Unable to rebuild with a different image for a "
                         "volume-backed server.")
    if image.status != "active":
        raise BadRequest(f"Image {image.id} is not active.")
    if instance.memory_mb < image.min_ram:
        raise BadRequest("Flavor's memory is too small for requested image.")
    if not volume_backed and instance.root_gb and instance.root_gb < image.min_disk:  # a volume is its own size
        raise BadRequest("Flavor's disk is too small for requested image.")
    values = {} if volume_backed else {"image_id": image.id}
    if name is not None:
        values["name"] = name
    if metadata is not None:
        quota_check_metadata(limits=quota_limits(project_id=instance.project_id), items=len(metadata))
        values["metadata"] = metadata
    with transaction.atomic():
        instance_move_start(context=context, instance=instance, rule=MOVE_RULES["rebuild"], **values)
    for key, value in values.items():
        setattr(instance, key, value)
    if not volume_backed:
        instance.image = image
    return instance
