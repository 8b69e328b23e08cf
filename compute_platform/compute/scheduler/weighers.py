"""Weighers order the hosts that passed the filters; the first is tried first."""
from .filters import HostState, RequestSpec


def ram_weigher(host: HostState, spec: RequestSpec) -> float:
    """Spread: the host with the most free RAM wins (Nova's default ram_weight_multiplier=1.0)."""
    return host.free_memory_mb


def server_group_soft_weigher(host: HostState, spec: RequestSpec) -> float:
    """Nova's ServerGroupSoftAffinityWeigher / SoftAntiAffinityWeigher (microversion 2.15): the group's
    members already on the host, counted for soft-affinity and against for soft-anti-affinity."""
    members = spec.group_hosts.get(host.id, 0)
    if spec.group_policy == "soft-affinity":
        return members
    if spec.group_policy == "soft-anti-affinity":
        return -members
    return 0


def weigh_hosts(hosts: list[HostState], spec: RequestSpec, weigher=ram_weigher) -> list[HostState]:
    # The soft group policy first (a preference that outranks free RAM), then the weigher; ties broken by
    # name so placement is deterministic in tests.
    return sorted(hosts, key=lambda h: (-server_group_soft_weigher(h, spec), -weigher(h, spec), h.name))
