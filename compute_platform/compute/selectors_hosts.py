"""Reads of the compute hosts, as os-hypervisors, os-services and os-availability-zone show them."""
from django.db.models import Count, Q

from .exceptions import NotFound
from .models import Host, Instance
from .states import VmState


def host_list_with_usage():
    """Hosts with their running VM count, one query."""
    return Host.objects.annotate(
        running_vms=Count("instances", filter=~Q(instances__vm_state=VmState.DELETED))).order_by("id")


def host_get_with_usage(*, host_id: str) -> Host:
    """One host by its id (a string of digits, as the path carries it) with its running VM count; 404 if none."""
    host = host_list_with_usage().filter(pk=int(host_id)).first() if host_id.isdigit() else None
    if host is None:
        raise NotFound(f"Hypervisor with ID {host_id} could not be found.")
    return host


def host_get_by_name(*, name) -> Host:
    host = Host.objects.filter(name=name).first() if isinstance(name, str) else None
    if host is None:
        raise NotFound(f"Compute host {name} could not be found.")
    return host


def host_list(*, name: str | None = None):
    """Every host (only the one called `name` when given), by id."""
    qs = Host.objects.order_by("id")
    return qs.filter(name=name) if name else qs


def host_names_up(*, include_disabled: bool = True) -> list[str]:
    """The hosts whose worker is alive (heartbeat younger than SERVICE_DOWN_TIME), in one query. Disabled
    hosts take no new servers but keep their guests and mounts, so they are included unless asked not."""
    qs = Host.objects.only("name", "last_heartbeat", "forced_down")
    if not include_disabled:
        qs = qs.filter(enabled=True)
    return [host.name for host in qs if host.is_up]


def host_search(*, pattern: str) -> list[Host]:
    """Hosts whose name contains `pattern` (Nova's hypervisor search is a LIKE '%pattern%'); 404 if none."""
    hosts = list(Host.objects.filter(name__contains=pattern).order_by("id"))
    if not hosts:
        raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return hosts


def host_instances(*, host_ids) -> list[dict]:
    """The live instances on these hosts, by host then age: host_id, id, uuid, project_id and sizes."""
    return list(Instance.objects.filter(host_id__in=list(host_ids)).exclude(vm_state=VmState.DELETED)
                .order_by("host_id", "created_at", "id")
                .values("host_id", "id", "uuid", "project_id", "vcpus", "memory_mb", "root_gb"))


def availability_zones_available() -> set[str]:
    """Nova's available zones (availability_zones.get_availability_zones, get_only_available): those of the
    enabled hosts. A host's zone is its aggregate's, else the default zone (services.aggregates keeps it)."""
    return set(Host.objects.filter(enabled=True).values_list("availability_zone", flat=True).distinct())


def host_list_enabled(*, zone: str | None = None) -> list[Host]:
    """The enabled hosts (in `zone` when given), by id: what os-hosts lists."""
    qs = Host.objects.filter(enabled=True).order_by("id")
    return list(qs.filter(availability_zone=zone) if zone else qs)
