"""Host aggregates (Nova's AggregateAPI): create, rename, delete, add and remove hosts, set metadata.

An aggregate with `availability_zone` metadata is an availability zone. A host's zone is the zone of its
aggregate that has one, else settings.DEFAULT_AVAILABILITY_ZONE; `Host.availability_zone` (which the scheduler
and os-availability-zone read) is kept in step here, in the same transaction as the change. Nova's rules: a
host is in at most one zone; a zone of hosts with instances does not change; a zone is never empty-named."""
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..exceptions import BadRequest, Conflict, NotFound
from ..models import Aggregate, Host, Instance
from ..models.aggregates import AZ_KEY
from ..states import VmState

logger = logging.getLogger(__name__)


def _locked(aggregate_id: int) -> Aggregate:
    aggregate = Aggregate.objects.select_for_update().filter(pk=aggregate_id).first()
    if aggregate is None:
        raise NotFound(f"Aggregate {aggregate_id} could not be found.")
    return aggregate


def _check_zone(aggregate: Aggregate, metadata: dict, hosts, *, check_instances: bool, fault=BadRequest) -> None:
    """Nova's is_safe_to_update_az: refuse an empty zone name, a host in two zones, and (when asked) moving
    hosts that run instances to another zone."""
    if AZ_KEY not in metadata:
        return
    zone = metadata[AZ_KEY]
    if not zone:
        raise fault(f"Cannot update aggregate {aggregate.id}. Reason: Aggregate {aggregate.name} does not "
                    "support empty named availability zone.")
    host_ids = [h.id for h in hosts]
    others = (Aggregate.objects.filter(hosts__in=host_ids, metadata__has_key=AZ_KEY).exclude(pk=aggregate.pk)
              .distinct())
    conflicting = sorted({a.availability_zone for a in others if a.availability_zone != zone})
    if conflicting:
        raise fault(f"Cannot update aggregate {aggregate.id}. Reason: One or more hosts already in availability "
                    f"zone(s) {conflicting}.")
    if check_instances and aggregate.availability_zone != zone and Instance.objects.filter(
            host_id__in=host_ids).exclude(vm_state=VmState.DELETED).exists():
        raise fault(f"Cannot update aggregate {aggregate.id}. Reason: One or more hosts contain instances in "
                    "this zone.")


def _sync_zones(host_ids) -> None:
    """Each host's availability_zone from its aggregates (the first that names a zone, by id)."""
    for host in Host.objects.filter(pk__in=list(host_ids)).select_for_update():
        zoned = host.aggregates.filter(metadata__has_key=AZ_KEY).order_by("id").first()
        zone = zoned.availability_zone if zoned else settings.DEFAULT_AVAILABILITY_ZONE
        if host.availability_zone != zone:
            Host.objects.filter(pk=host.pk).update(availability_zone=zone)
            logger.info("host %s is now in availability zone %s", host.name, zone)


def _saved(aggregate: Aggregate, **kwargs) -> None:
    try:
        with transaction.atomic():
            aggregate.save(**kwargs)
    except IntegrityError:
        raise Conflict(f"Aggregate {aggregate.name} already exists.")


def aggregate_create(*, name: str, availability_zone: str | None = None) -> Aggregate:
    aggregate = Aggregate(name=name, metadata={AZ_KEY: availability_zone} if availability_zone else {})
    _saved(aggregate)
    logger.info("aggregate %s (%s) created, zone %s", aggregate.id, name, availability_zone)
    return aggregate


def aggregate_update(*, aggregate_id: int, values: dict) -> Aggregate:
    """`name` and/or `availability_zone` (a metadata key)."""
    with transaction.atomic():
        aggregate = _locked(aggregate_id)
        if "name" in values:
            aggregate.name = values["name"]
        zone = {k: v for k, v in values.items() if k == AZ_KEY}
        _check_zone(aggregate, zone, list(aggregate.hosts.all()), check_instances=True)
        if zone:
            aggregate.metadata = {**aggregate.metadata, **zone}
        aggregate.updated_at = timezone.now()
        _saved(aggregate)
        if zone:
            _sync_zones(aggregate.hosts.values_list("id", flat=True))
    logger.info("aggregate %s updated: %s", aggregate.id, sorted(values))
    return aggregate


def aggregate_metadata_set(*, aggregate_id: int, metadata: dict) -> Aggregate:
    """Merge `metadata` into the aggregate's; a null value removes its key."""
    with transaction.atomic():
        aggregate = _locked(aggregate_id)
        _check_zone(aggregate, metadata, list(aggregate.hosts.all()), check_instances=True)
        merged = {**aggregate.metadata, **metadata}
        aggregate.metadata = {k: v for k, v in merged.items() if v is not None}
        aggregate.updated_at = timezone.now()
        aggregate.save(update_fields=["metadata", "updated_at"])
        _sync_zones(aggregate.hosts.values_list("id", flat=True))
    logger.info("aggregate %s metadata set: %s", aggregate.id, sorted(metadata))
    return aggregate


def aggregate_delete(*, aggregate_id: int) -> None:
    with transaction.atomic():
        aggregate = _locked(aggregate_id)
        if aggregate.hosts.exists():
            raise BadRequest(f"Cannot remove aggregate {aggregate_id}. Reason: Host aggregate is not empty.")
        aggregate.delete()
    logger.info("aggregate %s deleted", aggregate_id)


def aggregate_host_add(*, aggregate_id: int, host_name: str) -> Aggregate:
    """404 for no such host, 409 when it is already a member or would be in two zones."""
    with transaction.atomic():
        aggregate = _locked(aggregate_id)
        host = Host.objects.filter(name=host_name).first()
        if host is None:
            raise NotFound(f"Compute host {host_name} could not be found.")
        if aggregate.hosts.filter(pk=host.pk).exists():
            raise Conflict(f"Aggregate {aggregate_id} already has host {host_name}.")
        _check_zone(aggregate, aggregate.metadata, [host], check_instances=False, fault=Conflict)
        aggregate.hosts.add(host)
        _sync_zones([host.id])
    logger.info("host %s added to aggregate %s", host_name, aggregate_id)
    return aggregate


def aggregate_host_remove(*, aggregate_id: int, host_name: str) -> Aggregate:
    with transaction.atomic():
        aggregate = _locked(aggregate_id)
        host = aggregate.hosts.filter(name=host_name).first()
        if host is None:
            raise NotFound(f"Cannot remove host {host_name} in aggregate {aggregate_id}")
        aggregate.hosts.remove(host)
        _sync_zones([host.id])
    logger.info("host %s removed from aggregate %s", host_name, aggregate_id)
    return aggregate
