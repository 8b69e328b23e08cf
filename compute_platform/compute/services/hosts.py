"""Host records written by each host's worker: registration, heartbeat, capacity."""
import logging

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from compute_platform.db_retry import db_retry
from compute_platform.tasknames import host_queue

from ..models import Host, Instance

logger = logging.getLogger(__name__)


@db_retry
def host_register(*, name: str, vcpus: int, memory_mb: int, disk_gb: int, hypervisor_type: str,
                  hypervisor_version: int, host_ip: str = "127.0.0.1") -> Host:
    """Create or refresh the host row from the driver's report, and mark it alive."""
    host, _ = Host.objects.update_or_create(name=name, defaults=dict(
        vcpus=vcpus, memory_mb=memory_mb, disk_gb=disk_gb, hypervisor_type=hypervisor_type,
        hypervisor_version=hypervisor_version, host_ip=host_ip, last_heartbeat=timezone.now(),
    ))
    return host


def hosts_heartbeat(*, names: list[str]) -> int:
    """The worker's hosts are alive: one UPDATE, also for the thousands a multi-host fake worker serves."""
    return Host.objects.filter(name__in=names).update(last_heartbeat=timezone.now())


@db_retry  # outermost: inside the transaction it would see an atomic block and never retry
@transaction.atomic
def host_usage_resync(*, name: str) -> dict:
    """Recompute the claim counters from the instances that hold claims (repairs any drift)."""
    host = Host.objects.select_for_update().get(name=name)
    totals = Instance.objects.filter(host=host, resources_claimed=True).aggregate(
        vcpus=Sum("vcpus"), memory_mb=Sum("memory_mb"), disk_gb=Sum("root_gb"))
    used = {k: v or 0 for k, v in totals.items()}
    # Moves hold claims of their own: the new flavor on the destination, the old one on the source.
    from .migration_claims import migration_claims_on_host

    for k, v in migration_claims_on_host(host_id=host.pk).items():
        used[k] += v
    Host.objects.filter(pk=host.pk).update(vcpus_used=used["vcpus"], memory_mb_used=used["memory_mb"],
                                           disk_gb_used=used["disk_gb"])
    return used


def host_set_enabled(*, host: Host, enabled: bool, reason: str | None = None) -> Host:
    Host.objects.filter(pk=host.pk).update(enabled=enabled, disabled_reason=None if enabled else reason)
    host.refresh_from_db()
    return host


def host_set_forced_down(*, host: Host, forced_down: bool) -> Host:
    """Nova's force-down (2.11): an operator says the host is down (fenced) without waiting for its
    heartbeat to age; the host counts as down until this is set back to False."""
    Host.objects.filter(pk=host.pk).update(forced_down=forced_down)
    host.refresh_from_db()
    logger.info("host %s forced_down=%s", host.name, forced_down)
    return host


def hosts_fan_out(*, task: str, include_disabled: bool, expires: float = 60) -> list[str]:
    """Send `task` to each live host's own queue (only a host's worker sees its guests and mounts); a host
    that is down does it when its worker returns. `expires`: a periodic task that waited longer than its
    interval is superseded by the next one. Returns the hosts sent to."""
    from ..selectors_hosts import host_names_up
    from .dispatch import task_send

    hosts = host_names_up(include_disabled=include_disabled)
    for name in hosts:
        task_send(task_name=task, queue=host_queue(name), kwargs={}, expires=expires)
    return hosts
