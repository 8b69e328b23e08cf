"""Host reads that later compute microversions add: pages of hypervisors (2.33), by uuid and by name pattern,
with their servers (2.53)."""
from django.db.models import Q

from .exceptions import BadRequest, NotFound
from .models import Instance
from .selectors import _is_uuid as is_uuid  # one uuid test for every selector
from .selectors_hosts import host_list_with_usage
from .states import VmState


def hypervisors_page(*, limit: int, marker: str | None, by_uuid: bool) -> list:
    """Hosts by id after the one whose id (uuid from 2.53) is `marker`."""
    qs = host_list_with_usage()
    if marker:
        anchor = None
        if by_uuid:
            if is_uuid(marker):
                anchor = qs.filter(uuid=marker).values_list("id", flat=True).first()
        elif marker.isdigit():
            anchor = qs.filter(pk=int(marker)).values_list("id", flat=True).first()
        if anchor is None:
            raise BadRequest(f"marker [{marker}] not found")
        qs = qs.filter(id__gt=anchor)
    return list(qs[:limit])


def hypervisors_matching(*, pattern: str):
    """Nova's hypervisor search: hosts whose name contains `pattern` (SQL LIKE %pattern%)."""
    return host_list_with_usage().filter(name__contains=pattern)


def host_get_by_uuid(*, host_uuid: str):
    host = host_list_with_usage().filter(uuid=host_uuid).first() if is_uuid(host_uuid) else None
    if host is None:
        raise NotFound(f"Hypervisor with ID {host_uuid} could not be found.")
    return host


def host_servers(*, hosts) -> dict[int, list[tuple[str, str]]]:
    """{host id: [(server uuid, name)]} of the servers on each host that are not deleted, in one query."""
    servers: dict[int, list[tuple[str, str]]] = {}
    rows = Instance.objects.filter(host_id__in=[h.id for h in hosts]).filter(~Q(vm_state=VmState.DELETED)) \
        .order_by("id").values_list("host_id", "uuid", "name")
    for host_id, uuid, name in rows:
        servers.setdefault(host_id, []).append((str(uuid), name))
    return servers
