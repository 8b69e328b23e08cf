"""Host filters (Nova's filter scheduler, reduced). Pure functions of a HostState and a RequestSpec."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestSpec:
    instance_uuid: str
    project_id: str
    vcpus: int
    memory_mb: int
    root_gb: int
    availability_zone: str | None = None
    scheduler_hints: dict = field(default_factory=dict)
    # The server group the instance joins: its policy, and {host id: members already there}, read
    # under the group's row lock (services/server_groups.py) so concurrent boots see each other.
    group_policy: str | None = None
    group_hosts: dict = field(default_factory=dict)
    group_max_per_host: int = 1
    # A move: the hosts it must not land on (its source, unless a same-host resize is allowed).
    ignore_hosts: tuple = ()


@dataclass(frozen=True)
class HostState:
    id: int
    name: str
    availability_zone: str
    enabled: bool
    is_up: bool
    free_vcpus: float      # capacity * allocation ratio - used
    free_memory_mb: float
    free_disk_gb: float


def compute_filter(host: HostState, spec: RequestSpec) -> bool:
    """Only enabled hosts whose worker has sent a recent heartbeat."""
    return host.enabled and host.is_up


def core_filter(host: HostState, spec: RequestSpec) -> bool:
    return host.free_vcpus >= spec.vcpus


def ram_filter(host: HostState, spec: RequestSpec) -> bool:
    return host.free_memory_mb >= spec.memory_mb


def disk_filter(host: HostState, spec: RequestSpec) -> bool:
    return host.free_disk_gb >= spec.root_gb


def availability_zone_filter(host: HostState, spec: RequestSpec) -> bool:
    return not spec.availability_zone or host.availability_zone == spec.availability_zone


def server_group_filter(host: HostState, spec: RequestSpec) -> bool:
    """Nova's ServerGroupAffinityFilter and ServerGroupAntiAffinityFilter.

    affinity: the host of the members (any host for the first member); anti-affinity: a host with
    fewer than max_server_per_host members (1 unless the group's rules say otherwise).
    """
    if spec.group_policy == "affinity":
        return not spec.group_hosts or host.id in spec.group_hosts
    if spec.group_policy == "anti-affinity":
        return spec.group_hosts.get(host.id, 0) < spec.group_max_per_host
    return True


def ignore_hosts_filter(host: HostState, spec: RequestSpec) -> bool:
    """A move never lands where it comes from (Nova's RequestSpec.ignore_hosts)."""
    return host.id not in spec.ignore_hosts


FILTERS = (compute_filter, ignore_hosts_filter, availability_zone_filter, server_group_filter, core_filter, ram_filter, disk_filter)


def filter_hosts(hosts: list[HostState], spec: RequestSpec, filters=FILTERS) -> tuple[list[HostState], list[str]]:
    """The hosts passing every filter, and a line per filter saying how many it kept (for the fault)."""
    report = []
    for f in filters:
        before = len(hosts)
        hosts = [h for h in hosts if f(h, spec)]
        report.append(f"{f.__name__}: {before} -> {len(hosts)}")
        if not hosts:
            break
    return hosts, report
