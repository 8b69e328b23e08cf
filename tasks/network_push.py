"""The network service's pushes on `compute.<host>`, each rebuilt from the database as it is when the task runs
(so a later push or a repeated delivery does the same work again, harmlessly):
- security groups: the named ports' rules handed to the driver, which rewrites their firewall; ports that left
  this host meanwhile are skipped; the sets of the remote groups those rules name are loaded with them;
- group members: every remote group this host's ports' rules name, its members' addresses loaded into the
  host's set of it (no rule rewritten); at most one waits per host, and its marker goes before the read;
- floating IPs: every floating IP of this host's servers handed to the driver, which NATs exactly those.
A build or an interface attach settles its own ports the same way once they are plugged (plugged_ports_settle)."""
import contextlib
import dataclasses
import logging
import threading
from collections import defaultdict

from celery import shared_task

from compute_platform import tasknames
from compute_platform.compute.selectors_guest_data import vif_spec
from compute_platform.network.selectors_instances import (group_members, host_floating_ips, host_named_groups,
                                                         host_ports_vifs, ports_rules)
from compute_platform.network.services.group_set_holders import group_set_holders_add, group_set_holders_reset
from compute_platform.network.services.host_push import host_push_taken
from compute_platform.network.services.security_group_push import MEMBERS
from hypervisors.base import FloatingIPSpec, SecurityGroupRule, VifSpec

from .events import instance_event
from .runtime import get_driver, this_host

logger = logging.getLogger(__name__)

# A worker's threads apply one push per host at a time, each reading the database under the lock: two pushes
# racing could otherwise apply in the wrong order (an older read last), leaving stale rules, sets or NAT
# behind. Rules and sets share one lock: a rules push loads sets too.
_HOST_LOCKS: dict[str, threading.Lock] = defaultdict(threading.Lock)


# How many rules pushes each host has applied in this process (under its lock). A build reads its ports' rules
# before it spawns the guest; a rules push that ran before they were plugged may have left them out, so the build
# reads them again once they are, but only if one ran meanwhile (rules_pushes_applied before, then after).
_RULES_PUSHES: dict[str, int] = defaultdict(int)


def rules_pushes_applied(host: str) -> int:
    """Take this before reading the ports' rules to plug; hand it to plugged_ports_settle."""
    return _RULES_PUSHES[host]


# The groups each host is a holder of (GroupSetHolder), as this process made it one: rebuilt at its start.
_HOLDING: dict[str, set[str]] = defaultdict(set)


def members_read(host: str, group_ids) -> dict[str, list[str]]:
    """The members of `group_ids` as the database has them now, for `host`'s sets: the host is made a holder of
    each first, so any change committed after this read is pushed to it."""
    if new := set(group_ids) - _HOLDING[host]:
        group_set_holders_add(host=host, group_ids=new)
        _HOLDING[host] |= new
    return group_members(group_ids=group_ids)


def host_members_truth(host: str) -> dict[str, list[str]]:
    """The members of every group the host's ports name, the host made the holder of exactly those (the groups
    its ports no longer name stop pushing to it): at its start and at each reload of its sets."""
    named = host_named_groups(host=host)
    group_set_holders_reset(host=host, group_ids=named)
    _HOLDING[host] = set(named)
    return group_members(group_ids=named)


@contextlib.contextmanager
def security_groups_lock(host: str):
    """Held from a security group read to its application on `host` (rules or sets)."""
    with _HOST_LOCKS[f"sg:{host}"]:
        yield


def _named_groups(vifs) -> set[str]:
    return {r.remote_group_id for v in vifs for r in v.security_group_rules if r.remote_group_id}


@shared_task(name=tasknames.REFRESH_SECURITY_GROUPS)
def refresh_security_groups(*, port_ids: list[str], request_id: str):
    host = this_host()
    with security_groups_lock(host):
        try:
            _refresh_security_groups(host, port_ids=port_ids, request_id=request_id)
        finally:
            _RULES_PUSHES[host] += 1


def _refresh_security_groups(host: str, *, port_ids: list[str], request_id: str):
    found, cache = host_ports_vifs(host=host, port_ids=port_ids), {}  # (found keeps the cached lists alive)
    vifs = {uuid: [vif_spec(v, cache) for v in values] for uuid, values in found.items()}
    if not vifs:
        logger.info("security group refresh of ports %s skipped: none is on %s (%s)", port_ids, host, request_id)
        return
    with instance_event(request_id=request_id, event="compute_refresh_security_groups", host=host,
                        what=f"security group refresh of {len(port_ids)} ports", on_error=None,
                        finishes_action=False):
        driver = get_driver()
        done = driver.refresh_vif_rules(vifs)
        # a rule may name a remote group new to this host: its set, as the database has it now
        if named := _named_groups(v for vs in vifs.values() for v in vs):
            driver.apply_group_members(members_read(host, named))
        logger.info("security groups of ports %s refreshed on %s (%s)", done, host, request_id)


@shared_task(name=tasknames.REFRESH_GROUP_MEMBERS)
def refresh_group_members(*, request_id: str):
    host = this_host()
    # The marker goes BEFORE the read: a change committed after it pushes again (host_push.py).
    host_push_taken(host=host, kinds=(MEMBERS,))
    with security_groups_lock(host), instance_event(
            request_id=request_id, event="compute_refresh_group_members", host=host, what="group members refresh",
            on_error=None, finishes_action=False):
        members = host_members_truth(host)
        done = get_driver().apply_group_members(members)
        logger.info("group sets of %s refreshed: %s (%s)", host, {g: len(members[g]) for g in done}, request_id)


def plugged_ports_settle(host: str, instance_uuid: str, vifs: tuple[VifSpec, ...], *, rules_pushes: int) -> None:
    """After a build (or an interface attach) plugged ports with the rules read for them before (`rules_pushes`:
    rules_pushes_applied then): their rules and the sets they name as the database has them now, under the host's
    lock. A rules push that came while the ports were not plugged yet may have skipped them: if one ran, their
    rules are read again and rewritten if they changed (a push that runs later finds them plugged). A set the
    host holds no copy of yet is read here, the host its holder first; one it holds gets the ports' own addresses
    with the members push to every holder that the activation sends (at most about a second later, DELAY in
    host_push.py, as on the other hosts): a build in a large group reads none of its members."""
    with security_groups_lock(host):
        driver, now = get_driver(), vifs
        if _RULES_PUSHES[host] != rules_pushes:
            current = ports_rules(port_ids=[v.port_id for v in vifs])
            now = tuple(v if v.port_id not in current else dataclasses.replace(
                v, security_group_rules=tuple(SecurityGroupRule(**r) for r in current[v.port_id])) for v in vifs)
            if changed := [v for v, old in zip(now, vifs) if v.security_group_rules != old.security_group_rules]:
                driver.refresh_vif_rules({instance_uuid: changed})
                logger.info("instance %s: rules of ports %s changed during its build: refreshed", instance_uuid,
                            [v.port_id for v in changed])
        # The sets the host holds no copy of yet; the others get the new members with the push to every holder
        # (instance_ports_activate), as the other hosts do.
        if new := {g for g in _named_groups(now) if g not in _HOLDING[host]}:
            driver.apply_group_members(members_read(host, new))


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
