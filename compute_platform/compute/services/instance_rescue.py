"""rescue / unrescue (Nova's servers actions): boot the server from a rescue image, its own disk second."""
import secrets

from django.db import transaction

from compute_platform.images.models import Image

from ..exceptions import BadRequest
from ..models import Instance
from ..move_rules import MOVE_RULES
from .instance_claims import instance_move_start


def instance_rescue(*, context, instance: Instance, rescue_image: Image | None = None,
                    admin_pass: str | None = None) -> str:
    """Claim `rescuing`; the host boots `rescue_image` (default: the server's own image, as Nova's). Returns
    the admin password Nova answers with (generated when not given)."""
    if instance.image_id is None:  # its root is a volume: Nova rescues those only from 2.87 (stable rescue)
        raise BadRequest("Cannot rescue a volume-backed instance")
    if rescue_image is not None and rescue_image.status != "active":
        raise BadRequest(f"Image {rescue_image.id} is not active.")
    with transaction.atomic():
        instance_move_start(context=context, instance=instance, rule=MOVE_RULES["rescue"],
                            rescue_image_id=rescue_image.id if rescue_image else None)
    return admin_pass or secrets.token_urlsafe(9)


def instance_unrescue(*, context, instance: Instance) -> None:
    with transaction.atomic():
        instance_move_start(context=context, instance=instance, rule=MOVE_RULES["unrescue"])
