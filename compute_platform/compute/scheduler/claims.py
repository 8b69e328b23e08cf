"""Atomic resource claims.

A claim is one conditional UPDATE on the host row: it adds the instance's resources only if they
still fit. Concurrent schedulers may pick the same host from a stale view; the database decides,
and the loser simply tries the next host. No lock is held across the filter pass, so scheduling
does not serialize behind one slow request, and a host is never overcommitted.
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.db.models import F

from compute_platform.sql import execute, rows, sql_in

from ..exceptions import NoValidHost
from ..models import Host, Instance
from ..models.hosts import host_is_up
from .filters import HostState, RequestSpec, filter_hosts
from .weighers import weigh_hosts

logger = logging.getLogger(__name__)


# Host rows a placement reads on its fast path: the best few by the filters and the weigher in SQL.
CANDIDATES = 8
HOST_STATE_FIELDS = ("id", "name", "availability_zone", "enabled", "forced_down", "last_heartbeat", "vcpus",
                     "memory_mb", "disk_gb", "vcpus_used", "memory_mb_used", "disk_gb_used", "cpu_allocation_ratio",
                     "ram_allocation_ratio", "disk_allocation_ratio")


def _host_state(h: dict) -> HostState:
    return HostState(id=h["id"], name=h["name"], availability_zone=h["availability_zone"], enabled=h["enabled"],
                     is_up=host_is_up(last_heartbeat=h["last_heartbeat"], forced_down=h["forced_down"]),
                     free_vcpus=h["vcpus"] * h["cpu_allocation_ratio"] - h["vcpus_used"],
                     free_memory_mb=h["memory_mb"] * h["ram_allocation_ratio"] - h["memory_mb_used"],
                     free_disk_gb=h["disk_gb"] * h["disk_allocation_ratio"] - h["disk_gb_used"])


def host_states() -> list[HostState]:
    """Every host (the full pass: what the filters' report on a failed placement is made from)."""
    return [_host_state(h) for h in Host.objects.values(*HOST_STATE_FIELDS)]


# A placement's two statements are written in SQL (one shape each, on SQLite and PostgreSQL alike): built through
# the ORM they cost more Python than the rest of the placement (about 3 ms of a boot's POST, measured). The
# host table's columns, free capacity as Host's allocation ratios make it:
_FREE_VCPUS = "vcpus * cpu_allocation_ratio - vcpus_used"
_FREE_MEMORY = "memory_mb * ram_allocation_ratio - memory_mb_used"
_FREE_DISK = "disk_gb * disk_allocation_ratio - disk_gb_used"


def _candidate_rows(spec: RequestSpec, cutoff, limit: int, extra: tuple[str, list] | None = None) -> list[HostState]:
    where = ["enabled", "NOT forced_down", "last_heartbeat >= %s", f"{_FREE_VCPUS} >= %s",
             f"{_FREE_MEMORY} >= %s", f"{_FREE_DISK} >= %s"]
    params = [connection.ops.adapt_datetimefield_value(cutoff), spec.vcpus, spec.memory_mb, spec.root_gb]
    if spec.availability_zone:
        where.append("availability_zone = %s")
        params.append(spec.availability_zone)
    conditions = [sql_in("id", spec.ignore_hosts, negate=True)] if spec.ignore_hosts else []
    if spec.group_policy == "affinity" and spec.group_hosts:
        conditions.append(sql_in("id", spec.group_hosts))
    elif spec.group_policy == "anti-affinity":
        conditions.append(sql_in("id", [h for h, n in spec.group_hosts.items() if n >= spec.group_max_per_host],
                              negate=True))
    if extra:
        conditions.append(extra)
    for sql, values in conditions:
        where.append(sql)
        params += values
    sql = (f"SELECT id, name, availability_zone, {_FREE_VCPUS}, {_FREE_MEMORY}, {_FREE_DISK} "
           f"FROM {Host._meta.db_table} WHERE {' AND '.join(where)} ORDER BY {_FREE_MEMORY} DESC, name LIMIT {int(limit)}")
    # Up and enabled by the query's own WHERE (the heartbeat as of `cutoff`).
    return [HostState(id=i, name=n, availability_zone=z, enabled=True, is_up=True, free_vcpus=v,
                      free_memory_mb=m, free_disk_gb=d) for i, n, z, v, m, d in rows(sql, params)]


def host_candidates(spec: RequestSpec, *, limit: int = CANDIDATES) -> list[HostState]:
    """The best `limit` hosts for the request, filtered and ordered by the database as filters.FILTERS and
    weighers.weigh_hosts do: a placement reads a few host rows, not all of them (thousands of hosts).

    A fast path only: its candidates go through the Python filters again, and a placement that finds
    nothing here falls back to the full pass, so a host this query wrongly left out costs time, never a
    wrong answer (tests/service/test_claims.py compares the two on random clouds)."""
    cutoff = timezone.now() - timedelta(seconds=settings.SERVICE_DOWN_TIME)
    rows = _candidate_rows(spec, cutoff, limit)
    if spec.group_policy in ("soft-affinity", "soft-anti-affinity") and spec.group_hosts:
        # The hosts the soft weigher prefers may lie past the RAM-ordered `limit`: read them too.
        seen = {r.id for r in rows}
        more = _candidate_rows(spec, cutoff, limit, extra=sql_in("id", spec.group_hosts,
                                                                negate=spec.group_policy != "soft-affinity"))
        rows += [r for r in more if r.id not in seen]
    return weigh_hosts(filter_hosts(rows, spec)[0], spec)


def _try_claim(host_id: int, spec: RequestSpec) -> bool:
    # The fit test sits in the UPDATE's own WHERE on the target row (no subquery), so PostgreSQL
    # re-checks it against the newest row version after waiting on a concurrent claim.
    sql = (f"UPDATE {Host._meta.db_table} SET vcpus_used = vcpus_used + %s, memory_mb_used = memory_mb_used + %s, "
           "disk_gb_used = disk_gb_used + %s WHERE id = %s AND enabled AND vcpus_used <= vcpus * cpu_allocation_ratio"
           " - %s AND memory_mb_used <= memory_mb * ram_allocation_ratio - %s AND disk_gb_used <= "
           "disk_gb * disk_allocation_ratio - %s")
    amounts = [spec.vcpus, spec.memory_mb, spec.root_gb]
    return execute(sql, [*amounts, host_id, *amounts]) == 1


def schedule_and_claim(*, spec: RequestSpec) -> HostState:
    """Pick a host for the request and claim its resources. Raises NoValidHost.

    Must run inside the caller's transaction, which records the placement on the instance: the
    claim and the instance row then commit (or roll back) together.
    """
    tried = set()
    for host in host_candidates(spec):
        tried.add(host.id)
        if _try_claim(host.id, spec):
            logger.debug("instance %s placed on %s", spec.instance_uuid, host.name)
            return host
    # Nothing claimed among the best few (all lost to concurrent requests, or none fits): every host,
    # which also makes the filters' report for the fault.
    candidates, report = filter_hosts(host_states(), spec)
    for host in weigh_hosts(candidates, spec):
        if host.id in tried:
            report.append(f"claim on {host.name} lost to a concurrent request")
            continue
        if _try_claim(host.id, spec):
            logger.debug("instance %s placed on %s (full pass)", spec.instance_uuid, host.name)
            return host
        report.append(f"claim on {host.name} lost to a concurrent request")
    logger.warning("no valid host for instance %s: %s", spec.instance_uuid, "; ".join(report))
    raise NoValidHost("No valid host was found. There are not enough hosts available. "
                      + "; ".join(report))


def claim_on_host(*, spec: RequestSpec, host_id: int, check: bool = True) -> HostState:
    """Claim on the one host a move names. `check`: it must pass the filters first (Nova checks a requested
    host unless the request forces it); forced or not, the claim's own UPDATE never overcommits it."""
    state = next((s for s in host_states() if s.id == host_id), None)
    if state is None:
        raise NoValidHost(f"No valid host was found. Host {host_id} does not exist.")
    if check:
        passed, report = filter_hosts([state], spec)
        if not passed:
            raise NoValidHost(f"No valid host was found. Host {state.name} was refused: " + "; ".join(report))
    if not _try_claim(host_id, spec):
        raise NoValidHost(f"No valid host was found. Host {state.name} has not enough free resources.")
    logger.debug("instance %s: move claim on %s", spec.instance_uuid, state.name)
    return state


def claim_give_back(*, host_id: int, vcpus: int, memory_mb: int, root_gb: int) -> None:
    """Subtract one claim from the host's counters. The caller guards "exactly once" (a flag it clears in
    the same transaction)."""
    Host.objects.filter(pk=host_id).update(
        vcpus_used=F("vcpus_used") - vcpus, memory_mb_used=F("memory_mb_used") - memory_mb,
        disk_gb_used=F("disk_gb_used") - root_gb)


def claim_release(*, instance_id: int) -> bool:
    """Give the instance's resources back to its host, exactly once (a repeated call is a no-op)."""
    with transaction.atomic():
        inst = Instance.objects.filter(pk=instance_id, resources_claimed=True).values(
            "host_id", "vcpus", "memory_mb", "root_gb").first()
        if inst is None or not Instance.objects.filter(pk=instance_id, resources_claimed=True).update(
                resources_claimed=False):
            return False
        claim_give_back(host_id=inst["host_id"], vcpus=inst["vcpus"], memory_mb=inst["memory_mb"],
                        root_gb=inst["root_gb"])
        return True
