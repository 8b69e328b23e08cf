"""Reads, scoped to what the caller may see. Every list is a constant number of queries."""
import uuid as uuidlib
from itertools import islice

import re2
from django.db.models import BooleanField, CharField, F, Func, Q, Subquery, TextField
from django.db.models.functions import Cast

from compute_platform.sql import uuid_text
from compute_platform.tag_filters import tag_filtered

from .exceptions import BadRequest, NotFound
from .models import Flavor, FlavorAccess, Instance, InstanceAction, InstanceFault, InstanceTag
from .selectors_server_extras import instance_tags_json
from .models.instances import instance_name_for  # part of this module's API: the hypervisor name of a row
from .states import VM_STATES_FOR_STATUS, TaskState, VmState


def _is_uuid(value: str) -> bool:
    try:
        uuidlib.UUID(str(value))
        return True
    except ValueError:
        return False


def instance_get(*, context, instance_uuid: str, include_deleted: bool = False) -> Instance:
    """The instance, or 404 when it does not exist *or* belongs to a project the caller cannot see."""
    missing = NotFound(f"Instance {instance_uuid} could not be found.")
    if not _is_uuid(instance_uuid):
        raise missing
    qs = Instance.objects.select_related("flavor", "host", "image", "project").filter(uuid=instance_uuid)
    if not context.is_admin:
        qs = qs.filter(project_id=context.project_id)
    if not include_deleted:
        qs = qs.exclude(vm_state=VmState.DELETED)
    instance = qs.first()
    if instance is None:
        raise missing
    return instance


def instance_latest_faults(rows: list[dict]) -> dict:
    """{instance id: newest fault} for the rows in ERROR, in one query."""
    ids = [r["id"] for r in rows if r["vm_state"] == VmState.ERROR]
    faults = {}
    if ids:
        for fault in InstanceFault.objects.filter(instance_id__in=ids).order_by("instance_id", "-created_at", "-id"):
            faults.setdefault(fault.instance_id, fault)
    return faults


class ApiTimestamp(Func):
    """A timestamp column as the API's string, formatted by the database: Nova's `2026-01-02T03:04:05Z`, or
    with microseconds and no zone (`usec=True`, launched_at's form; api/common/timefmt.py has both for
    Python datetimes). A list of 10,000 servers then builds no datetime objects and formats none."""

    output_field = CharField()

    def __init__(self, column: str, *, usec: bool = False):
        super().__init__(F(column))
        self.usec = usec

    def as_postgresql(self, compiler, connection, **extra):
        fmt = 'YYYY-MM-DD"T"HH24:MI:SS.US' if self.usec else 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
        return self.as_sql(compiler, connection, template=f"to_char(%(expressions)s AT TIME ZONE 'UTC', '{fmt}')",
                           **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite (`make run`) keeps naive UTC text, `YYYY-MM-DD HH:MM:SS[.ffffff]`.
        template = ("substr(replace(%(expressions)s, ' ', 'T') || '.000000', 1, 26)" if self.usec
                    else "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', %(expressions)s)")
        return self.as_sql(compiler, connection, template=template, **extra)


class UuidText(Func):
    """A UUID column as its canonical text (no Python UUID object per row)."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return uuid_text(column, connection.vendor), params


class RowBefore(Func):
    """(a, b) < (x, y), a row comparison: PostgreSQL starts an index scan on (a, b) at (x, y), where
    `a < x OR (a = x AND b < y)` filters every row before it (the last page of 100,000 read them all)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        (a, pa), (b, pb), (x, px), (y, py) = (compiler.compile(e) for e in self.get_source_expressions())
        return f"({a}, {b}) < ({x}, {y})", (*pa, *pb, *px, *py)


# What a server body needs, as flat values, the ids and timestamps already the API's strings: a list of
# 10,000 servers builds no model objects.
SERVER_ROW_COLUMNS = (
    "id", "name", "project_id", "user_id", "host_id", "availability_zone", "vm_state", "task_state",
    "power_state", "key_name", "flavor__flavorid", "host__name", "host__availability_zone", "config_drive",
    "access_ip_v4", "access_ip_v6",
    "locked_by", "locked_reason",  # moves A: `locked` (2.9), `locked_reason` (2.73)
    # what later microversions show (api/compute/server_versions.py)
    "reservation_id", "launch_index", "hostname", "user_data", "description", "vcpus", "memory_mb", "root_gb",
    "flavor__name", "flavor__ephemeral_gb", "flavor__swap", "host__enabled", "host__forced_down",
    "host__last_heartbeat",
)


def _server_row_expressions() -> dict:
    # What the row has of other apps' tables, read in its own query (no query per kind, no IN list of ids).
    from compute_platform.network.selectors_instances import instance_has_ports
    from compute_platform.volumes.selectors import instance_volumes_json

    return {"server_id": UuidText("uuid"), "image_ref": UuidText("image_id"), "created": ApiTimestamp("created_at"),
            "updated": ApiTimestamp("updated_at"), "launched": ApiTimestamp("launched_at", usec=True),
            "terminated": ApiTimestamp("terminated_at", usec=True),
            # JSON as text, parsed with orjson by the view builder, and only when the microversion shows it
            # (Django's JSONField runs json.loads on every row, 3x slower, for fields most answers leave out).
            "metadata_json": Cast("metadata", TextField()), "extra_specs_json": Cast("flavor__extra_specs", TextField()),
            "trusted_certs_json": Cast("trusted_certs", TextField()),
            "scheduler_hints_json": Cast("scheduler_hints", TextField()),
            "server_group_uuid": UuidText("server_group__uuid"), "tags_json": instance_tags_json(),
            "volumes_json": instance_volumes_json(), "has_ports": instance_has_ports()}


def _server_rows(qs, limit: int | None = None) -> list[dict]:
    """The queryset's rows as dicts of SERVER_ROW_COLUMNS and _server_row_expressions, zipped from tuples (Django's
    values() builds each dict in a Python comprehension: a quarter of a 10,000-server list's time)."""
    expressions = _server_row_expressions()
    names = (*SERVER_ROW_COLUMNS, *expressions)
    return [dict(zip(names, row)) for row in qs.annotate(**expressions).values_list(*names)[:limit]]


def instance_row(instance: Instance) -> dict:
    """The same row for one instance, read the same way (one query), so one server and a list agree."""
    rows = _server_rows(Instance.objects.filter(pk=instance.pk))
    if not rows:
        raise Instance.DoesNotExist
    return rows[0]


def instance_list(*, context, filters: dict, limit: int, marker: str | None) -> list[dict]:
    """Rows (SERVER_ROW_COLUMNS and the strings of _server_row_expressions) newest first, keyset-paginated after `marker` (a server uuid), as Nova."""
    qs = Instance.objects.all()
    if not (context.is_admin and filters.get("all_tenants")):
        qs = qs.filter(project_id=context.project_id)
    elif filters.get("project_id"):
        qs = qs.filter(project_id=filters["project_id"])
    if filters.get("deleted") and context.is_admin:
        qs = qs.filter(vm_state=VmState.DELETED)
    elif not (filters.get("changes-since") or filters.get("changes-before")):
        qs = qs.exclude(vm_state=VmState.DELETED)  # a changes-* filter shows the deleted too, as Nova
    if filters.get("changes-since"):
        qs = qs.filter(updated_at__gte=filters["changes-since"])
    if filters.get("changes-before"):  # microversion 2.66
        qs = qs.filter(updated_at__lte=filters["changes-before"])
    if filters.get("status"):
        status = filters["status"].upper()
        if status not in VM_STATES_FOR_STATUS:
            if filters.get("strict_status"):  # from microversion 2.38
                raise BadRequest(f"Invalid status value: {filters['status']}")
            return []  # Nova answers an unknown status with an empty list
        qs = qs.filter(vm_state__in=VM_STATES_FOR_STATUS[status])
        if status == "REBOOT":
            qs = qs.filter(task_state=TaskState.REBOOTING)
        elif status == "HARD_REBOOT":
            qs = qs.filter(task_state=TaskState.REBOOTING_HARD)
        elif status == "REBUILD":
            qs = qs.filter(task_state=TaskState.REBUILDING)
    if filters.get("host") and context.is_admin:
        qs = qs.filter(host__name=filters["host"])
    if filters.get("flavor"):
        qs = qs.filter(flavor__flavorid=filters["flavor"])
    if "uuids" in filters:  # resolved by the caller (the `ip`/`ip6` filters: the network service's ports)
        qs = qs.filter(uuid__in=[u for u in filters["uuids"] if _is_uuid(u)])
    if filters.get("reservation_id"):  # the servers of one multi-create
        qs = qs.filter(reservation_id=filters["reservation_id"])
    if filters.get("image"):
        qs = qs.filter(image_id=filters["image"]) if _is_uuid(filters["image"]) else qs.none()
    qs = tag_filtered(qs, tag_model=InstanceTag, owner="instance_id", filters=filters)
    if marker:
        if not _is_uuid(marker):
            raise BadRequest(f"marker [{marker}] not found")
        # The marker's position read in the same query (a page is one query, first or not); a marker that
        # matches nothing gives no rows, and only then is it looked up, for the 400.
        anchor = Instance.objects.filter(uuid=marker).order_by()
        qs = qs.filter(RowBefore(F("created_at"), F("id"), Subquery(anchor.values("created_at")),
                                 Subquery(anchor.values("id"))))
    qs = qs.order_by("-created_at", "-id")
    if filters.get("name"):
        matches = name_matcher(filters["name"])
        candidates = qs.values_list("id", "name").iterator(chunk_size=2000)
        ids = list(islice((pk for pk, name in candidates if matches(name)), limit))
        qs = Instance.objects.filter(id__in=ids).order_by("-created_at", "-id")
    rows = _server_rows(qs, limit)
    if marker and not rows and not Instance.objects.filter(uuid=marker).exists():
        raise BadRequest(f"marker [{marker}] not found")
    return rows


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # an invalid pattern is the client's 400, not a line on stderr
MAX_NAME_PATTERN = 255  # as long as a name


def name_matcher(pattern: str):
    """The `name` filter as Nova reads it (a regular expression, found anywhere in the name), as a predicate.

    Matched by RE2, in time linear in the name whatever the pattern, and in Python, so alike on PostgreSQL
    and SQLite: the databases' backtracking engines let `(a+)+(a+)+b` over a 24-letter name hold a worker
    past gunicorn's timeout. Patterns RE2 cannot run in linear time (backreferences, lookaround) are a 400.
    """
    if len(pattern) > MAX_NAME_PATTERN:
        raise BadRequest(f"Invalid regular expression in the name filter: longer than {MAX_NAME_PATTERN} "
                         f"characters")
    try:
        compiled = re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error:
        raise BadRequest(f"Invalid regular expression in the name filter: {pattern}")
    return lambda name: compiled.search(name) is not None


def instance_open_request_id(*, instance_id: int, action: str) -> str:
    """The request id of the newest unfinished `action` on the instance ("" if there is none)."""
    act = InstanceAction.objects.filter(instance_id=instance_id, action=action, finish_time__isnull=True).first()
    return act.request_id if act else ""


def instance_actions(*, instance: Instance):
    return InstanceAction.objects.filter(instance=instance).select_related("instance")


def flavor_list(*, context, limit: int, marker: str | None = None, min_ram: int | None = None,
                min_disk: int | None = None, is_public: bool | None = True) -> list[Flavor]:
    """The flavors listed to the caller, smallest RAM first, keyset-paginated after `marker` (a flavor id), as
    Nova (`_flavor_get_all_query`): at least `min_ram` MB and `min_disk` GB; `is_public` True (the default, and
    always for non-admins) lists the public flavors and the private ones the caller's project has access to,
    False only the private ones, None all of them (admins only)."""
    if context.is_admin and is_public is None:
        qs = Flavor.objects.all()
    elif context.is_admin and is_public is False:
        qs = Flavor.objects.filter(is_public=False)
    else:
        qs = Flavor.objects.filter(Q(is_public=True) | Q(access__project_id=context.project_id)).distinct()
    if min_ram is not None:
        qs = qs.filter(memory_mb__gte=min_ram)
    if min_disk is not None:
        qs = qs.filter(root_gb__gte=min_disk)
    qs = qs.order_by("memory_mb", "flavorid")
    if marker:
        anchor = qs.filter(flavorid=marker).values("memory_mb", "flavorid").first()
        if anchor is None:
            raise BadRequest(f"marker [{marker}] not found")
        qs = qs.filter(Q(memory_mb__gt=anchor["memory_mb"]) |
                       Q(memory_mb=anchor["memory_mb"], flavorid__gt=anchor["flavorid"]))
    return list(qs[:limit])


def _flavors_visible(context):
    """Nova's rule: public flavors, and private ones to admins and to the projects given access."""
    if context is None or context.is_admin:
        return Flavor.objects.all()
    return Flavor.objects.filter(Q(is_public=True) | Q(access__project_id=context.project_id)).distinct()


def flavor_get(*, flavorid: str, context=None) -> Flavor:
    """The flavor; with a `context`, 404 also for a private flavor the caller has no access to."""
    flavor = _flavors_visible(context).filter(flavorid=flavorid).first()
    if flavor is None:
        raise NotFound(f"Flavor {flavorid} could not be found.")
    return flavor


def instances_stale(*, task_states, cutoff) -> list[Instance]:
    """Live instances with a host, in one of `task_states`, unchanged since `cutoff` (their message may be
    lost), with their host."""
    return list(Instance.objects.select_related("host").filter(
        task_state__in=task_states, updated_at__lt=cutoff, host__isnull=False).exclude(vm_state=VmState.DELETED))


def flavor_access_list(*, flavor: Flavor) -> list[str]:
    """The projects given access to a private flavor, by id."""
    return list(FlavorAccess.objects.filter(flavor=flavor).order_by("project_id").values_list("project_id", flat=True))
