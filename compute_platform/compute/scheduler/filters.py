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


FILTERS = (compute_filter, availability_zone_filter, core_filter, ram_filter, disk_filter)


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
