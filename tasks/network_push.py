"""The network service's pushes on `compute.<host>`, each rebuilt from the database as it is when the task runs
(so a later push or a repeated delivery does the same work again, harmlessly):
- security groups: the named ports' rules handed to the driver, which rewrites their firewall; ports that left
  this host meanwhile are skipped;
- floating IPs: every floating IP of this host's servers handed to the driver, which NATs exactly those."""
import logging
import threading
from collections import defaultdict

from celery import shared_task

from compute_platform import tasknames
from compute_platform.network.selectors_instances import host_floating_ips, host_ports_vifs
from hypervisors.base import FloatingIPSpec

from .events import instance_event
from .runtime import get_driver, this_host
from .specs import vif_spec

logger = logging.getLogger(__name__)

# A worker's threads apply one push per host at a time, each reading the database under the lock: two pushes
# racing could otherwise apply in the wrong order (an older read last), leaving stale rules or NAT behind.
_HOST_LOCKS: dict[str, threading.Lock] = defaultdict(threading.Lock)


@shared_task(name=tasknames.REFRESH_SECURITY_GROUPS)
def refresh_security_groups(*, port_ids: list[str], request_id: str):
    host = this_host()
    with _HOST_LOCKS[f"sg:{host}"]:
        _refresh_security_groups(host, port_ids=port_ids, request_id=request_id)


def _refresh_security_groups(host: str, *, port_ids: list[str], request_id: str):
    found, cache = host_ports_vifs(host=host, port_ids=port_ids), {}  # (found keeps the cached lists alive)
    vifs = {uuid: [vif_spec(v, cache) for v in values] for uuid, values in found.items()}
    if not vifs:
        logger.info("security group refresh of ports %s skipped: none is on %s (%s)", port_ids, host, request_id)
        return
    with instance_event(request_id=request_id, event="compute_refresh_security_groups", host=host,
                        what=f"security group refresh of {len(port_ids)} ports", on_error=None,
                        finishes_action=False):
        done = get_driver().refresh_vif_rules(vifs)
        logger.info("security groups of ports %s refreshed on %s (%s)", done, host, request_id)


def host_floating_ip_specs(host: str) -> list[FloatingIPSpec]:
    return [FloatingIPSpec(**f) for f in host_floating_ips(host=host)]


@shared_task(name=tasknames.REFRESH_FLOATING_IPS)
def refresh_floating_ips(*, request_id: str):
    host = this_host()
    with _HOST_LOCKS[f"fip:{host}"], instance_event(
            request_id=request_id, event="compute_refresh_floating_ips", host=host, what="floating IP refresh",
            on_error=None, finishes_action=False):
        fips = host_floating_ip_specs(host)
        get_driver().apply_floating_ips(fips)
        logger.info("floating IPs of %s refreshed: %d NATed (%s)", host, len(fips), request_id)
