"""os-server-password: the guest's encrypted password, as Nova keeps it for a client to fetch and clear."""
import logging

from ..models import Instance

logger = logging.getLogger(__name__)


def instance_password_clear(*, context, instance: Instance) -> None:
    """Forget the encrypted password (Nova's DELETE: the guest's password itself is unchanged)."""
    Instance.objects.filter(pk=instance.pk).update(encrypted_password="")
    logger.info("instance %s: encrypted password cleared by %s", instance.uuid, context.user_id)
