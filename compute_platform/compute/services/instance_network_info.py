"""injectNetworkInfo (Nova's admin action): push the server's network information into the guest again."""
import logging

from ..models import Instance

logger = logging.getLogger(__name__)


def instance_inject_network_info(*, context, instance: Instance) -> None:
    """Accepted and done: a guest here learns its network from DHCP (served from the database's ports) and
    from the config drive written at boot, so there is nothing to push into a running one. Nova's libvirt
    driver does the same (its inject_network_info is the base driver's no-op)."""
    logger.info("instance %s: injectNetworkInfo by %s (nothing to re-inject: DHCP and the config drive serve "
                "the ports)", instance.uuid, context.user_id)
