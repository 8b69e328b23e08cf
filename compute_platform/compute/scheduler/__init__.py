"""Placement: filter the hosts, weigh the survivors, claim the best one atomically."""
from .claims import claim_release, schedule_and_claim
from .filters import HostState, RequestSpec

__all__ = ["HostState", "RequestSpec", "claim_release", "schedule_and_claim"]
