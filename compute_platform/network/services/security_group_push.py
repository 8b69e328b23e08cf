"""Security group changes reach the hosts (Neutron's security group RPC to its agents): when a group's rules,
its members' addresses or a port's groups change, every compute host with an affected port gets one
`REFRESH_SECURITY_GROUPS` task naming its ports; the host rebuilds their rules from the database and its
driver rewrites their firewall. Sent on commit: a rolled-back change pushes nothing."""
import logging
from collections import defaultdict
from typing import Iterable

from django.db.models import Q

from compute_platform import tasknames
from compute_platform.compute.context import new_request_id
from compute_platform.compute.services.dispatch import task_enqueue_on_commit

from ..models import Port
from ..selectors_instances import live_instance_hosts

logger = logging.getLogger(__name__)


def port_group_ids(*, port_ids: Iterable) -> set:
    """The groups the ports are in now (whose members change when the ports come, go or move)."""
    return set(Port.security_groups.through.objects.filter(port_id__in=list(port_ids))
               .values_list("securitygroup_id", flat=True))


def security_groups_push(*, why: str, groups: Iterable = (), member_groups: Iterable = (),
                         ports: Iterable = ()) -> dict[str, list[str]]:
    """Refresh, on their hosts, the instances' ports in `groups` (their rules changed), the ports in a group
    with a rule whose remote group is one of `member_groups` (those members' addresses changed), and `ports`
    (their groups changed). `why` goes to the logs. Returns {host: port ids}."""
    groups, member_groups, ports = set(groups), set(member_groups), set(ports)
    q = Q(pk__in=ports)
    if groups:
        q |= Q(security_groups__in=groups)
    if member_groups:
        q |= Q(security_groups__rules__remote_group__in=member_groups)
    if not (groups or member_groups or ports):
        return {}
    rows = set(Port.objects.filter(q, device_owner__startswith="compute:").values_list("id", "device_id"))
    hosts = live_instance_hosts(instance_uuids={device_id for _, device_id in rows})
    by_host: dict[str, list[str]] = defaultdict(list)
    for port_id, device_id in rows:
        if device_id in hosts:
            by_host[hosts[device_id]].append(str(port_id))
    for host, port_ids in sorted(by_host.items()):
        # its own request id: the push is no step of the instance action (if any) that caused it
        request_id = new_request_id()
        task_enqueue_on_commit(task_name=tasknames.REFRESH_SECURITY_GROUPS, queue=tasknames.host_queue(host),
                               kwargs={"port_ids": sorted(port_ids), "request_id": request_id})
        logger.info("security groups pushed to host %s for %d ports (%s, %s)", host, len(port_ids), why, request_id)
    return dict(by_host)
