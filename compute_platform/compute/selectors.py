"""Reads, scoped to what the caller may see. Every list is a constant number of queries."""
import uuid as uuidlib
from itertools import islice

import re2
from django.db.models import Q

from .exceptions import BadRequest, NotFound
from .models import Flavor, Instance, InstanceAction, InstanceFault
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


# What a server body needs, as flat values: a list of 10,000 servers builds no model objects.
SERVER_ROW_FIELDS = (
    "id", "uuid", "name", "project_id", "user_id", "image_id", "host_id", "availability_zone", "vm_state",
    "task_state", "power_state", "metadata", "key_name", "created_at", "updated_at", "launched_at",
    "terminated_at", "flavor__flavorid", "host__name", "host__availability_zone",
)


def instance_row(instance: Instance) -> dict:
    """The same flat row for one instance already loaded (with flavor and host)."""
    row = {f: getattr(instance, f) for f in SERVER_ROW_FIELDS if "__" not in f}
    row["flavor__flavorid"] = instance.flavor.flavorid
    row["host__name"] = instance.host.name if instance.host_id else None
    row["host__availability_zone"] = instance.host.availability_zone if instance.host_id else None
    return row


def instance_list(*, context, filters: dict, limit: int, marker: str | None) -> list[dict]:
    """Rows (SERVER_ROW_FIELDS) newest first, keyset-paginated after `marker` (a server uuid), as Nova."""
    qs = Instance.objects.all()
    if not (context.is_admin and filters.get("all_tenants")):
        qs = qs.filter(project_id=context.project_id)
    elif filters.get("project_id"):
        qs = qs.filter(project_id=filters["project_id"])
    if filters.get("deleted") and context.is_admin:
        qs = qs.filter(vm_state=VmState.DELETED)
    elif not filters.get("changes-since"):
        qs = qs.exclude(vm_state=VmState.DELETED)
    if filters.get("changes-since"):
        qs = qs.filter(updated_at__gte=filters["changes-since"])
    if filters.get("status"):
        status = filters["status"].upper()
        if status not in VM_STATES_FOR_STATUS:
            return []  # Nova answers an unknown status with an empty list
        qs = qs.filter(vm_state__in=VM_STATES_FOR_STATUS[status])
        if status == "REBOOT":
            qs = qs.filter(task_state=TaskState.REBOOTING)
        elif status == "HARD_REBOOT":
            qs = qs.filter(task_state=TaskState.REBOOTING_HARD)
    if filters.get("host") and context.is_admin:
        qs = qs.filter(host__name=filters["host"])
    if filters.get("flavor"):
        qs = qs.filter(flavor__flavorid=filters["flavor"])
    if filters.get("image"):
        qs = qs.filter(image_id=filters["image"]) if _is_uuid(filters["image"]) else qs.none()
    if marker:
        anchor = Instance.objects.filter(uuid=marker).values("created_at", "id").first() if _is_uuid(marker) else None
        if anchor is None:
            raise BadRequest(f"marker [{marker}] not found")
        qs = qs.filter(Q(created_at__lt=anchor["created_at"]) |
                       Q(created_at=anchor["created_at"], id__lt=anchor["id"]))
    qs = qs.order_by("-created_at", "-id")
    if filters.get("name"):
        matches = name_matcher(filters["name"])
        candidates = qs.values_list("id", "name").iterator(chunk_size=2000)
        ids = list(islice((pk for pk, name in candidates if matches(name)), limit))
        qs = Instance.objects.filter(id__in=ids).order_by("-created_at", "-id")
    return list(qs.values(*SERVER_ROW_FIELDS)[:limit])


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


def flavor_list(*, context, limit: int, marker: str | None = None) -> list[Flavor]:
    """The flavors the caller may see (admins: the private ones too), smallest RAM first, keyset-paginated
    after `marker` (a flavor id), as Nova."""
    qs = Flavor.objects.order_by("memory_mb", "flavorid")
    if not context.is_admin:
        qs = qs.filter(is_public=True)
    if marker:
        anchor = qs.filter(flavorid=marker).values("memory_mb", "flavorid").first()
        if anchor is None:
            raise BadRequest(f"marker [{marker}] not found")
        qs = qs.filter(Q(memory_mb__gt=anchor["memory_mb"]) |
                       Q(memory_mb=anchor["memory_mb"], flavorid__gt=anchor["flavorid"]))
    return list(qs[:limit])


def flavor_get(*, flavorid: str) -> Flavor:
    flavor = Flavor.objects.filter(flavorid=flavorid).first()
    if flavor is None:
        raise NotFound(f"Flavor {flavorid} could not be found.")
    return flavor


def instances_stale(*, task_states, cutoff) -> list[Instance]:
    """Live instances with a host, in one of `task_states`, unchanged since `cutoff` (their message may be
    lost), with their host."""
    return list(Instance.objects.select_related("host").filter(
        task_state__in=task_states, updated_at__lt=cutoff, host__isnull=False).exclude(vm_state=VmState.DELETED))
