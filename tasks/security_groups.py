"""The network service's security group push on `compute.<host>`: the named ports' rules rebuilt from the
database as they are now (a later push or a repeat delivery does the same work again, harmlessly) and handed
to the driver, which rewrites their firewall. Ports that left this host meanwhile are skipped."""
import logging

from celery import shared_task

from compute_platform import tasknames
from compute_platform.network.selectors_instances import host_ports_vifs

from .events import instance_event
from .runtime import get_driver, this_host
from .specs import vif_spec

logger = logging.getLogger(__name__)


@shared_task(name=tasknames.REFRESH_SECURITY_GROUPS)
def refresh_security_groups(*, port_ids: list[str], request_id: str):
    host = this_host()
    vifs = {uuid: [vif_spec(v) for v in values]
            for uuid, values in host_ports_vifs(host=host, port_ids=port_ids).items()}
    if not vifs:
        logger.info("security group refresh of ports %s skipped: none is on %s (%s)", port_ids, host, request_id)
        return
    with instance_event(request_id=request_id, event="compute_refresh_security_groups", host=host,
                        what=f"security group refresh of {len(port_ids)} ports", on_error=None,
                        finishes_action=False):
        done = get_driver().refresh_vif_rules(vifs)
        logger.info("security groups of ports %s refreshed on %s (%s)", done, host, request_id)
