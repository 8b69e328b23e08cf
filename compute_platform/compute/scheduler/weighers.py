"""Weighers order the hosts that passed the filters; the first is tried first."""
from .filters import HostState, RequestSpec


def ram_weigher(host: HostState, spec: RequestSpec) -> float:
    """Spread: the host with the most free RAM wins (Nova's default ram_weight_multiplier=1.0)."""
    return host.free_memory_mb


def weigh_hosts(hosts: list[HostState], spec: RequestSpec, weigher=ram_weigher) -> list[HostState]:
    # Ties broken by name so placement is deterministic in tests.
    return sorted(hosts, key=lambda h: (-weigher(h, spec), h.name))
