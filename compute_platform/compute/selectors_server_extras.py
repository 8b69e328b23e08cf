"""Reads for what later compute microversions add to a server body: tags (2.26), host status (2.16)."""
from django.db.models import F, OuterRef

from .models import InstanceTag
from .models.hosts import host_is_up
from .rows_json import RowsJson


def instance_tags(*, instance_ids) -> dict[int, list[str]]:
    """{instance id: its tags, sorted}, in one query."""
    tags: dict[int, list[str]] = {}
    for instance_id, tag in InstanceTag.objects.filter(instance_id__in=list(instance_ids)).values_list(
            "instance_id", "tag"):
        tags.setdefault(instance_id, []).append(tag)
    return tags


def instance_tags_json():
    """A server row's tags, sorted, as JSON text (NULL: none), read in the row's own query (selectors'
    server rows): what instance_tags gives, for a list without a query of its own."""
    return RowsJson(InstanceTag.objects.filter(instance_id=OuterRef("id")).values(j=F("tag"), o=F("tag")))


def host_status(*, host_name, enabled, forced_down, last_heartbeat) -> str:
    """Nova's host_status of a server's host: UP, DOWN (forced down), UNKNOWN (no heartbeat), MAINTENANCE
    (disabled), or "" for a server on no host (compute/api.py get_instance_host_status)."""
    if not host_name:
        return ""
    if forced_down:
        return "DOWN"
    if not host_is_up(last_heartbeat=last_heartbeat, forced_down=False):
        return "UNKNOWN"
    return "UP" if enabled else "MAINTENANCE"


def instance_actions_page(*, instance, limit: int, marker: str | None = None, changes_since=None,
                          changes_before=None) -> list:
    """A page of the instance's actions, newest first, after the action whose request id is `marker`
    (2.58), filtered on updated_at (changes-since 2.58, changes-before 2.66)."""
    from django.db.models import Q

    from .exceptions import BadRequest
    from .models import InstanceAction

    qs = InstanceAction.objects.filter(instance=instance).select_related("instance").order_by("-start_time", "-id")
    if changes_since is not None:
        qs = qs.filter(updated_at__gte=changes_since)
    if changes_before is not None:
        qs = qs.filter(updated_at__lte=changes_before)
    if marker:
        anchor = InstanceAction.objects.filter(instance=instance, request_id=marker).values(
            "start_time", "id").first()
        if anchor is None:
            raise BadRequest(f"Marker {marker} could not be found.")
        qs = qs.filter(Q(start_time__lt=anchor["start_time"]) |
                       Q(start_time=anchor["start_time"], id__lt=anchor["id"]))
    return list(qs[:limit])
