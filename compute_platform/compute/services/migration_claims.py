"""The claims of a move, each given back exactly once.

While a move is open a Migration row may hold a claim on each host beside the instance's own (see
models/migrations.py). Each flag is cleared by a conditional UPDATE in the same transaction that gives the
resources back, so a repeated delivery or a recovery cannot release twice."""
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ..models import Instance, Migration
from ..models.migrations import MigrationStatus
from ..scheduler.claims import claim_give_back


# Each side's claim: (flag, host column, prefix of the resources' columns).
_SIDES = {"dest": ("dest_claimed", "dest_host_id", "new"), "source": ("source_claimed", "source_host_id", "old")}


def migration_claims_on_host(*, host_id: int) -> dict:
    """What open moves hold on the host (host_usage_resync adds it to the instances' claims)."""
    used = {"vcpus": 0, "memory_mb": 0, "disk_gb": 0}
    for flag, host_field, prefix in _SIDES.values():
        totals = Migration.objects.filter(**{host_field: host_id, flag: True}).aggregate(
            vcpus=Sum(f"{prefix}_vcpus"), memory_mb=Sum(f"{prefix}_memory_mb"), disk_gb=Sum(f"{prefix}_root_gb"))
        for k, v in totals.items():
            used[k] += v or 0
    return used


def _side_claim_release(migration_id: int, side: str) -> bool:
    flag, host_field, prefix = _SIDES[side]
    with transaction.atomic():
        m = Migration.objects.filter(pk=migration_id, **{flag: True}).values(
            host_field, f"{prefix}_vcpus", f"{prefix}_memory_mb", f"{prefix}_root_gb").first()
        if m is None or not Migration.objects.filter(pk=migration_id, **{flag: True}).update(**{flag: False}):
            return False
        claim_give_back(host_id=m[host_field], vcpus=m[f"{prefix}_vcpus"], memory_mb=m[f"{prefix}_memory_mb"],
                        root_gb=m[f"{prefix}_root_gb"])
    return True


def migration_dest_claim_release(*, migration_id: int) -> bool:
    """The destination's claim (the new flavor, while the guest is not there yet) given back, once."""
    return _side_claim_release(migration_id, "dest")


def migration_source_claim_release(*, migration_id: int) -> bool:
    """The source's claim (the old flavor, kept for a revert) given back, once."""
    return _side_claim_release(migration_id, "source")


def _attachments_to(instance_id: int, host_name: str) -> None:
    # Imported here: the volumes app depends on compute.
    from compute_platform.volumes.models import VolumeAttachment
    from compute_platform.volumes.models.attachments import AttachmentStatus

    VolumeAttachment.objects.filter(instance_id=instance_id, status__in=AttachmentStatus.LIVE).update(
        host=host_name, updated_at=timezone.now())


def _network_follows(m: Migration, *, source: str, dest: str) -> None:
    # Imported here: the network app depends on compute. Its floating IPs' NAT and its group sets move along.
    from compute_platform.network.services.instance_moved import instance_network_moved

    instance_network_moved(instance_uuid=str(m.instance.uuid), source=source, dest=dest)


def migration_instance_to_dest(*, migration: Migration) -> None:
    """The guest now runs on the destination: the instance moves there at the new size and takes the
    destination's claim as its own; its old claim on the source stays with the migration (for a revert,
    or until the source gives it back). Its volume attachments now live on the destination. Call in a
    transaction; a repeat (instance already there) changes nothing."""
    m = migration
    moved = Instance.objects.filter(pk=m.instance_id, host_id=m.source_host_id).update(
        host_id=m.dest_host_id, flavor_id=m.new_flavor_id, vcpus=m.new_vcpus, memory_mb=m.new_memory_mb,
        root_gb=m.new_root_gb, updated_at=timezone.now())
    if not moved:
        return
    had_claim = Instance.objects.filter(pk=m.instance_id).values_list("resources_claimed", flat=True).get()
    # The claims change owners, none is added or given back: the hosts' counters stay as they are.
    Migration.objects.filter(pk=m.pk).update(dest_claimed=False, source_claimed=had_claim)
    Instance.objects.filter(pk=m.instance_id).update(resources_claimed=m.dest_claimed)
    _attachments_to(m.instance_id, m.dest_host.name)
    _network_follows(m, source=m.source_host.name, dest=m.dest_host.name)


def migration_instance_back_to_source(*, migration: Migration) -> None:
    """A revert: the instance returns to the source at its old size with the claim the migration kept there;
    its claim on the destination is given back. Call in a transaction; a repeat changes nothing."""
    m = migration
    inst = Instance.objects.filter(pk=m.instance_id, host_id=m.dest_host_id).values("resources_claimed").first()
    if inst is None:
        return
    Instance.objects.filter(pk=m.instance_id).update(
        host_id=m.source_host_id, flavor_id=m.old_flavor_id, vcpus=m.old_vcpus, memory_mb=m.old_memory_mb,
        root_gb=m.old_root_gb, resources_claimed=m.source_claimed, updated_at=timezone.now())
    if inst["resources_claimed"]:
        claim_give_back(host_id=m.dest_host_id, vcpus=m.new_vcpus, memory_mb=m.new_memory_mb,
                        root_gb=m.new_root_gb)
    Migration.objects.filter(pk=m.pk).update(source_claimed=False)
    _attachments_to(m.instance_id, m.source_host.name)
    _network_follows(m, source=m.dest_host.name, dest=m.source_host.name)


def migrations_close_for_deleted(*, instance_id: int) -> None:
    """A deleted server's open moves give back whatever they still hold (the guest on the other host is
    reaped by that host's worker at its next start; its mounts leave with the truth)."""
    for m in Migration.objects.filter(instance_id=instance_id).exclude(status__in=MigrationStatus.CLOSED):
        migration_dest_claim_release(migration_id=m.pk)
        migration_source_claim_release(migration_id=m.pk)
        Migration.objects.filter(pk=m.pk).update(status=MigrationStatus.ERROR, updated_at=timezone.now())
