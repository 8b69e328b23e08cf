"""/os-simple-tenant-usage (all projects: admin) and /os-simple-tenant-usage/{tenant_id} (the caller's own
project, or any for an admin): usage between `start` and `end` (default now; `end` is capped at now),
Nova 2.1's shapes; from microversion 2.40 `limit`/`marker` (a server uuid) and `tenant_usage[s]_links`."""
from datetime import datetime, timezone

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest, Forbidden
from compute_platform.compute.selectors_usage import tenant_usages, usage_instances

from ..common.microversions import version_at_least
from ..common.pagination import next_links, page_params
from ..common.schemas import ADMIN_ONLY, doc_serializer, nova_errors
from ..common.timefmt import iso_usec
from ..common.views import OpenStackView
from . import schemas

FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f")
POLICY = "os_compute_api:os-simple-tenant-usage"
TIME_HELP = "UTC, `2026-01-02T03:04:05[.ffffff]` or `2026-01-02 03:04:05.ffffff`; default now."
BAD_TIME = "`start` or `end` not a valid time, or `start` not before `end`."
ISO = "ISO 8601 without a zone (UTC), microseconds."


class ServerUsage(fields.Serializer):
    ended_at = fields.CharField(allow_null=True, help_text=ISO)
    flavor = fields.CharField()
    hours = fields.FloatField()
    instance_id = fields.UUIDField()
    local_gb = fields.IntegerField()
    memory_mb = fields.IntegerField()
    name = fields.CharField()
    started_at = fields.CharField(help_text=ISO)
    state = fields.CharField(help_text="`terminated`, or the server's vm_state.")
    tenant_id = fields.CharField()
    uptime = fields.IntegerField(help_text="Seconds.")
    vcpus = fields.IntegerField()


class TenantUsageBody(fields.Serializer):
    tenant_id = fields.CharField()
    server_usages = ServerUsage(many=True, required=False, help_text="With `detailed=1` (always in show).")
    start = fields.CharField(help_text=ISO)
    stop = fields.CharField(help_text=ISO)
    total_hours = fields.FloatField()
    total_local_gb_usage = fields.FloatField()
    total_memory_mb_usage = fields.FloatField()
    total_vcpus_usage = fields.FloatField()


TenantUsageList = doc_serializer("TenantUsageList", {"tenant_usages": TenantUsageBody(many=True)})
TenantUsageShow = doc_serializer("TenantUsageShow", {"tenant_usage": TenantUsageBody(
    help_text="Empty when the project used nothing in the period.")})
PERIOD = [OpenApiParameter("start", str, description=TIME_HELP), OpenApiParameter("end", str, description=TIME_HELP)]


def _parse_time(value: str | None, now: datetime) -> datetime:
    if not value:
        return now
    for fmt in FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    raise BadRequest("Invalid input received: Datetime is in invalid format")


def _period(request, now: datetime) -> tuple[datetime, datetime]:
    start = _parse_time(request.query_params.get("start"), now)
    stop = _parse_time(request.query_params.get("end"), now)
    if not start < stop:
        raise BadRequest("Invalid start time. The start time cannot occur after the end time.")
    return start, min(stop, now)


def _render(usage: dict) -> dict:
    body = {**usage, "start": iso_usec(usage["start"]), "stop": iso_usec(usage["stop"])}
    if "server_usages" in usage:
        body["server_usages"] = [{**s, "started_at": iso_usec(s["started_at"]), "ended_at": iso_usec(s["ended_at"])}
                                 for s in usage["server_usages"]]
    return body


class TenantUsageListView(OpenStackView):
    admin_only, admin_policy = True, f"{POLICY}:list"

    @extend_schema(operation_id="compute_tenant_usage_list", summary="Usage of every project in a period (admin)",
                   tags=schemas.TAGS,
                   parameters=[*PERIOD, OpenApiParameter("detailed", str, description="`1`: each server's usage too.")],
                   responses={200: TenantUsageList, **nova_errors({400: BAD_TIME, 403: ADMIN_ONLY})})
    def get(self, request):
        now = datetime.now(timezone.utc)
        start, stop = _period(request, now)
        page = page_params(request) if version_at_least(request, "2.40") else None
        rows = usage_instances(start=start, stop=stop, limit=page and page.limit, marker=page and page.marker)
        usages = tenant_usages(rows=rows, start=start, stop=stop, now=now,
                               detailed=request.query_params.get("detailed") == "1")
        body = {"tenant_usages": [_render(u) for u in usages]}
        if page is not None:  # 2.40: the next page starts after the page's last server
            body.update(next_links(request, "tenant_usages_links", page=page, items=rows,
                                   marker_of=lambda r: r["uuid"]))
        return Response(body)


class TenantUsageView(OpenStackView):
    @extend_schema(operation_id="compute_tenant_usage_show", summary="Usage of one project in a period",
                   tags=schemas.TAGS, parameters=PERIOD,
                   responses={200: TenantUsageShow, **nova_errors({
                       400: BAD_TIME, 403: "Another project's usage and not an admin, or not scoped to a project."})})
    def get(self, request, tenant_id):
        if not self.context.is_admin and tenant_id != self.context.project_id:
            raise Forbidden(f"Policy doesn't allow {POLICY}:show to be performed.")
        now = datetime.now(timezone.utc)
        start, stop = _period(request, now)
        page = page_params(request) if version_at_least(request, "2.40") else None
        rows = usage_instances(start=start, stop=stop, project_id=tenant_id, limit=page and page.limit,
                               marker=page and page.marker)
        usages = tenant_usages(rows=rows, start=start, stop=stop, now=now, detailed=True)
        body = {"tenant_usage": _render(usages[0]) if usages else {}}
        if page is not None:
            body.update(next_links(request, "tenant_usage_links", page=page, items=rows,
                                   marker_of=lambda r: r["uuid"]))
        return Response(body)
