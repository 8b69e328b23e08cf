"""Usage over a period, as Nova's os-simple-tenant-usage counts it: every instance launched before the
period ends and not terminated before it starts, charged for the hours of the period it ran."""
from datetime import datetime

from django.conf import settings
from django.db.models import Q

from .exceptions import BadRequest
from .models import Host, Instance
from .selectors import _is_uuid  # one uuid test for every selector


def usage_hours(*, launched_at, terminated_at, start: datetime, stop: datetime) -> float:
    """The hours of [start, stop] the instance ran (never launched: none)."""
    if launched_at is None or launched_at > stop or (terminated_at and terminated_at < start):
        return 0
    end = min(stop, terminated_at) if terminated_at else stop
    return (end - max(launched_at, start)).total_seconds() / 3600.0


def usage_instances(*, start: datetime, stop: datetime, project_id: str | None = None, limit: int | None = None,
                    marker: str | None = None) -> list[dict]:
    """The instances active in the period (deleted ones too), oldest first, at most `limit` (API_MAX_LIMIT)
    after the instance whose uuid is `marker` (microversion 2.40's paging)."""
    qs = Instance.objects.filter(Q(terminated_at__isnull=True) | Q(terminated_at__gt=start), launched_at__lt=stop)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    if marker:
        anchor = qs.filter(uuid=marker).values("created_at", "id").first() if _is_uuid(marker) else None
        if anchor is None:
            raise BadRequest(f"marker [{marker}] not found")
        qs = qs.filter(Q(created_at__gt=anchor["created_at"]) | Q(created_at=anchor["created_at"], id__gt=anchor["id"]))
    return list(qs.order_by("created_at", "id").values(
        "uuid", "name", "project_id", "vcpus", "memory_mb", "root_gb", "vm_state", "launched_at", "terminated_at",
        "flavor__name", "flavor__ephemeral_gb")[:limit or settings.API_MAX_LIMIT])


def tenant_usages(*, rows: list[dict], start: datetime, stop: datetime, now: datetime, detailed: bool) -> list[dict]:
    """Per project: totals of hours, vCPU-, MB- and GB-hours, and (detailed) each server's usage. Times stay
    datetimes; the view formats them."""
    summaries = {}
    for row in rows:
        hours = usage_hours(launched_at=row["launched_at"], terminated_at=row["terminated_at"], start=start,
                            stop=stop)
        local_gb = row["root_gb"] + (row["flavor__ephemeral_gb"] or 0)
        ended = row["terminated_at"]
        server = {"hours": hours, "flavor": row["flavor__name"] or "", "instance_id": str(row["uuid"]),
                  "name": row["name"], "tenant_id": row["project_id"], "memory_mb": row["memory_mb"],
                  "local_gb": local_gb, "vcpus": row["vcpus"], "started_at": row["launched_at"], "ended_at": ended,
                  "state": "terminated" if ended else row["vm_state"],
                  "uptime": int(((ended or now) - row["launched_at"]).total_seconds())}
        summary = summaries.setdefault(row["project_id"], {
            "tenant_id": row["project_id"], **({"server_usages": []} if detailed else {}),
            "total_local_gb_usage": 0, "total_vcpus_usage": 0, "total_memory_mb_usage": 0, "total_hours": 0,
            "start": start, "stop": stop})
        summary["total_local_gb_usage"] += local_gb * hours
        summary["total_vcpus_usage"] += row["vcpus"] * hours
        summary["total_memory_mb_usage"] += row["memory_mb"] * hours
        summary["total_hours"] += hours
        if detailed:
            summary["server_usages"].append(server)
    return list(summaries.values())


def audit_period(*, before: datetime) -> tuple[datetime, datetime]:
    """The last whole month that ended at or before `before` (Nova's last_completed_audit_period with its
    default unit, a month)."""
    def month_start(year: int, month: int) -> datetime:
        return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    if before < datetime(1, 3, 1, 0, 0, 1):
        raise BadRequest(f"Invalid timestamp for date {before}: no month completed before it")
    end = month_start(before.year, before.month)
    if end >= before:
        end = month_start(before.year, before.month - 1)
    return month_start(end.year, end.month - 1), end


def usage_audit_log(*, before: datetime) -> dict:
    """Nova's instance usage audit summary for the period before `before`. The audit itself is not run here
    (Nova's `instance_usage_audit` is off by default too), so every host is listed as not run."""
    begin, end = audit_period(before=before)
    hosts = list(Host.objects.order_by("name").values_list("name", flat=True))
    return {"period_beginning": str(begin), "period_ending": str(end), "num_hosts": len(hosts),
            "num_hosts_done": 0, "num_hosts_running": 0, "num_hosts_not_run": len(hosts), "hosts_not_run": hosts,
            "total_instances": 0, "total_errors": 0,
            "overall_status": f"{'ALL' if not hosts else f'0 of {len(hosts)}'} hosts done. 0 errors.", "log": {}}
