"""createImage (Nova's servers action): a snapshot of the server's root disk into the image service."""
from django.db import transaction

from compute_platform.images.models import Image
from compute_platform.images.services.images import image_snapshot_create

from ..exceptions import Forbidden
from ..models import Instance
from ..move_rules import MOVE_RULES
from .instance_claims import instance_lock_check, instance_move_start


def instance_create_image(*, context, instance: Instance, name: str, metadata: dict | None = None) -> Image:
    """The queued image and the `image_snapshot` claim commit together; the host writes the data and the
    image turns active (or `killed` if the snapshot fails). The image's hidden `_request_id` lets a
    redriven task find it.

    A volume-backed server: 403 with the words of a Nova whose policy `create_image:allow_volume_backed`
    refuses it. Nova snapshots such a server's volumes in Cinder and answers an image of their snapshots
    (size 0, `block_device_mapping`); with no volume snapshots here, that image could boot nothing."""
    if instance.image_id is None:
        raise Forbidden("Policy doesn't allow os_compute_api:servers:create_image:allow_volume_backed to be "
                        "performed.")
    instance_lock_check(context=context, instance=instance)
    with transaction.atomic():
        image = image_snapshot_create(context=context, instance=instance, name=name, metadata=metadata,
                                      extra={"_request_id": context.request_id})
        instance_move_start(context=context, instance=instance, rule=MOVE_RULES["createImage"])
    return image
