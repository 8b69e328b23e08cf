"""Security group changes reach the hosts (Neutron's security group RPC to its agents, with its ipset
enhancement). Two kinds of change, two pushes, both sent on commit (a rolled-back change pushes nothing):

- rules: a group's rules changed, or a port's groups: every compute host with an affected port gets one
  `REFRESH_SECURITY_GROUPS` naming its ports; the host rebuilds their rules from the database and its driver
  rewrites their firewall (`security_groups_push`).
- members: a group's members came, went or changed address. A rule "from members of G" names G, and the
  host matches it against its own set of G's addresses, so no rule changes: each host that holds a set of G
  (it registered before it first read G's members: models.GroupSetHolder) gets a `REFRESH_GROUP_MEMBERS`, which
  reloads that host's sets from the database (`security_group_members_push`). At most one waits per host
  (host_push.py): a burst of boots in one group costs each host a set reload or a few, not a rewrite of every
  member's chains per boot."""
import logging
from typing import Callable, Iterable

from django.db import transaction
from django.db.models import Q

from compute_platform import tasknames
from compute_platform.compute.context import new_request_id
from compute_platform.compute.services.dispatch import task_enqueue_on_commit

from ..models import Port
from ..selectors_instances import compute_ports_by_host, group_set_holders
from .host_push import hosts_push

logger = logging.getLogger(__name__)
MEMBERS = "group_members"  # the push kind of the members' sets


def port_group_ids(*, port_ids: Iterable) -> set:
    """The groups the ports are in now (whose members change when the ports come, go or move)."""
    return set(Port.security_groups.through.objects.filter(port_id__in=list(port_ids))
               .values_list("securitygroup_id", flat=True))


def security_groups_push(*, why: str, groups: Iterable = (), ports: Iterable = ()) -> dict[str, list[str]]:
    """Refresh, on their hosts, the rules of the instances' ports in `groups` (their rules changed) and of
    `ports` (their groups changed). `why` goes to the logs. Returns {host: port ids}."""
    groups, ports = set(groups), set(ports)
    if not (groups or ports):
        return {}
    q = Q(pk__in=ports)
    if groups:
        q |= Q(security_groups__in=groups)
    by_host = compute_ports_by_host(ports=q)
    for host, port_ids in sorted(by_host.items()):
        # its own request id: the push is no step of the instance action (if any) that caused it
        request_id = new_request_id()
        task_enqueue_on_commit(task_name=tasknames.REFRESH_SECURITY_GROUPS, queue=tasknames.host_queue(host),
                               kwargs={"port_ids": sorted(port_ids), "request_id": request_id})
        logger.info("security groups pushed to host %s for %d ports (%s, %s)", host, len(port_ids), why, request_id)
    return by_host


def security_group_members_push(*, why: str, groups: Iterable = (), ports: Iterable = ()) -> None:
    """The members of `groups` changed (or of the groups `ports` are in, read once committed: they joined them):
    once the change commits, every host that holds a set of one of them (GroupSetHolder) reloads its sets, once
    per host however many changes wait.

    The holders are read after the commit: a host that became one later reads the members after the change, and
    one that became one earlier is found."""
    groups, ports = set(groups), set(ports)
    if groups or ports:
        _members_push_on_commit(why, lambda: group_set_holders(group_ids=groups, groups_of_ports=ports))


def security_group_members_push_hosts(*, why: str, hosts: Iterable[str]) -> None:
    """security_group_members_push to `hosts` (holders the caller read itself, or a host a server moved to),
    once the caller's transaction commits."""
    hosts = sorted(set(hosts))
    if hosts:
        _members_push_on_commit(why, lambda: hosts)


def _members_push_on_commit(why: str, hosts: Callable[[], list[str]]) -> None:
    transaction.on_commit(lambda: hosts_push(hosts=hosts(), kind=MEMBERS, task_name=tasknames.REFRESH_GROUP_MEMBERS,
                                             why=why))
