"""What the overview shows, read in a handful of queries plus one Redis round trip for the queues."""
from __future__ import annotations

import socket
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db.models import Count, Q

from compute_platform import tasknames
from compute_platform.compute.models import Host, Instance, InstanceFault
from compute_platform.compute.states import VmState, server_status
from compute_platform.redis_clients import broker_redis
from compute_platform.volumes.models import Export, Volume, VolumeAttachment
from compute_platform.volumes.models.attachments import AttachmentStatus
from compute_platform.volumes.models.volumes import VolumeStatus

# kombu's Redis transport keeps a queue's messages of priority step p > 0 in `<queue>\x06\x16<p>`.
_PRIORITY_SUFFIXES = tuple(f"\x06\x16{p}" if p else "" for p in settings.BROKER_PRIORITY_STEPS)
RECENT_FAULTS = 10


@dataclass(frozen=True)
class Capacity:
    used: int
    total: int
    ratio: float
    unit: str

    @property
    def allowed(self) -> int:
        """What the scheduler may claim: the total times the allocation ratio."""
        return int(self.total * self.ratio)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.allowed)) if self.allowed > 0 else 0

    @property
    def level(self) -> str:
        return "high" if self.percent >= 90 else "mid" if self.percent >= 70 else "low"


def host_state(host: Host) -> str:
    """down (no recent heartbeat) wins over disabled: an operator must see first that a host is gone."""
    if not host.is_up:
        return "down"
    return "up" if host.enabled else "disabled"


def host_capacities(host: Host) -> dict[str, Capacity]:
    return {"vcpu": Capacity(host.vcpus_used, host.vcpus, host.cpu_allocation_ratio, "vCPUs"),
            "ram": Capacity(host.memory_mb_used, host.memory_mb, host.ram_allocation_ratio, "MiB"),
            "disk": Capacity(host.disk_gb_used, host.disk_gb, host.disk_allocation_ratio, "GiB")}


def queue_depths(queues: list[str]) -> dict[str, int] | None:
    """Messages waiting in each Celery queue (Redis LLEN of its lists), or None if the broker is away."""
    try:
        with broker_redis().pipeline(transaction=False) as pipe:
            for queue in queues:
                for suffix in _PRIORITY_SUFFIXES:
                    pipe.llen(queue + suffix)
            lengths = pipe.execute()
    except (redis.RedisError, OSError):
        return None
    step = len(_PRIORITY_SUFFIXES)
    return {queue: sum(lengths[i * step:(i + 1) * step]) for i, queue in enumerate(queues)}


def flower_links(host: str | None = None) -> dict[str, str]:
    """Flower's pages for one host's worker and its tasks (or the whole cluster's tasks). Workers are
    named `compute-<host>@<machine>`; the machine is taken to be this one (`make run` runs them all here)."""
    base = settings.FLOWER_URL.rstrip("/")
    if host is None:
        return {"tasks": f"{base}/tasks", "failed": f"{base}/tasks?state=FAILURE", "workers": f"{base}/workers"}
    node = f"compute-{host}@{socket.gethostname()}"
    return {"worker": f"{base}/worker/{node}", "tasks": f"{base}/tasks?worker={node}"}


def task_names() -> list[str]:
    """Every task the platform sends (tasknames.py), for links into Flower's task list by name."""
    return sorted(value for name, value in vars(tasknames).items()
                  if name.isupper() and isinstance(value, str) and "." in value)


def overview(*, show_deleted: bool = False) -> dict:
    hosts = list(Host.objects.annotate(
        instances_count=Count("instances", filter=~Q(instances__vm_state=VmState.DELETED))).order_by("name"))
    queues = [tasknames.host_queue(h.name) for h in hosts] + [tasknames.CONDUCTOR_QUEUE, tasknames.VOLUME_QUEUE]
    depths = queue_depths(queues)
    host_rows = [{"host": h, "state": host_state(h), "capacity": host_capacities(h), "instances": h.instances_count,
                  "queue": tasknames.host_queue(h.name),
                  "queue_depth": None if depths is None else depths[tasknames.host_queue(h.name)],
                  "flower": flower_links(h.name)} for h in hosts]
    states = {"up": 0, "down": 0, "disabled": 0}
    for row in host_rows:
        states[row["state"]] += 1

    by_status: dict[str, int] = {}
    rows = Instance.objects.values_list("vm_state", "task_state").annotate(n=Count("id"))
    for vm_state, task_state, n in rows:
        if vm_state == VmState.DELETED and not show_deleted:
            continue
        status = server_status(vm_state, task_state)
        by_status[status] = by_status.get(status, 0) + n

    faults = list(InstanceFault.objects.select_related("instance").order_by("-created_at", "-id")[:RECENT_FAULTS])

    volumes = dict(Volume.objects.exclude(status=VolumeStatus.DELETED).values_list("status")
                   .annotate(n=Count("id")).order_by("status"))
    # Where each export must be mounted: the hosts with live attachments of its volumes (the database's
    # half of the truth; the export's mount panel asks each host's kernel for the other half).
    needed: dict[int, dict[str, int]] = {}
    for export_id, host, n in (VolumeAttachment.objects.filter(status__in=AttachmentStatus.LIVE)
                               .values_list("volume__export_id", "host").annotate(n=Count("id"))):
        needed.setdefault(export_id, {})[host] = n
    exports = [{"export": e, "volumes": e.live_volumes, "mounted_on": sorted(needed.get(e.pk, {}).items())}
               for e in Export.objects.annotate(live_volumes=Count("volumes", filter=~Q(
                   volumes__status=VolumeStatus.DELETED))).order_by("name")]

    return {"hosts": host_rows, "host_states": states, "instances_by_status": dict(sorted(by_status.items())),
            "instances_total": sum(by_status.values()), "faults": faults, "volumes_by_status": volumes,
            "exports": exports, "queues": [] if depths is None else sorted(depths.items()),
            "broker_reachable": depths is not None, "flower": flower_links(), "task_names": task_names()}
