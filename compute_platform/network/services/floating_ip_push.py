"""Floating IP changes reach the hosts: when a floating IP is associated, moved or released, or its port goes,
leaves its server or arrives on one, the host of each server involved gets one `REFRESH_FLOATING_IPS`; it
reads all of its floating IPs from the database then and its driver NATs exactly those. Sent on commit."""
import logging
from typing import Iterable

from compute_platform import tasknames
from compute_platform.compute.context import new_request_id
from compute_platform.compute.services.dispatch import task_enqueue_on_commit

from ..models import FloatingIP, Port
from ..selectors_instances import live_instance_hosts

logger = logging.getLogger(__name__)


def floating_ips_push(*, why: str, ports: Iterable, only_with_floating_ips: bool = True) -> list[str]:
    """Refresh the floating IPs of the hosts of the servers that own `ports` (deleted servers' too: their
    host still NATs for them). `only_with_floating_ips`: skip ports that hold none (nothing changes). Call
    before the ports leave their servers. Returns the hosts."""
    ports = set(ports)
    if only_with_floating_ips:
        ports = set(FloatingIP.objects.filter(port_id__in=ports).values_list("port_id", flat=True))
    if not ports:
        return []
    device_ids = set(Port.objects.filter(pk__in=ports).values_list("device_id", flat=True))
    return floating_ips_push_hosts(why=why, hosts=live_instance_hosts(instance_uuids=device_ids,
                                                                       with_deleted=True).values())


def floating_ips_push_hosts(*, why: str, hosts: Iterable[str]) -> list[str]:
    """Refresh the floating IPs of these hosts (on commit). Returns them, sorted."""
    hosts = sorted(set(hosts))
    for host in hosts:
        request_id = new_request_id()
        task_enqueue_on_commit(task_name=tasknames.REFRESH_FLOATING_IPS, queue=tasknames.host_queue(host),
                               kwargs={"request_id": request_id})
        logger.info("floating IPs pushed to host %s (%s, %s)", host, why, request_id)
    return hosts
