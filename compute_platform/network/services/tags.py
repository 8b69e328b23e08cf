"""Tags on networks, subnets, ports, security groups and floating IPs (Neutron's standard-attr-tag). A tag
write is an update of its resource: the resource's owner's (or an admin's) to make, 404 for anyone else."""
import logging

from django.db import transaction

from ..exceptions import TagNotFound
from ..selectors import network_resource_owned

logger = logging.getLogger(__name__)


def network_resource_tag_add(*, context, resource: str, resource_id, tag: str) -> None:
    """Idempotent: a tag the resource carries already stays as it is."""
    row = network_resource_owned(context=context, resource=resource, resource_id=resource_id)
    row.tags.model.objects.bulk_create([row.tags.model(resource=row, tag=tag)], ignore_conflicts=True)
    logger.info("%s %s tagged %r", resource, row.id, tag)


def network_resource_tags_replace(*, context, resource: str, resource_id, tags: list[str]) -> list[str]:
    """The resource's tags become `tags`; returns them, sorted."""
    row = network_resource_owned(context=context, resource=resource, resource_id=resource_id)
    model = row.tags.model
    with transaction.atomic():
        row.tags.exclude(tag__in=tags).delete()
        model.objects.bulk_create([model(resource=row, tag=tag) for tag in tags], ignore_conflicts=True)
    logger.info("%s %s tags set to %s", resource, row.id, sorted(tags))
    return sorted(tags)


def network_resource_tag_remove(*, context, resource: str, resource_id, tag: str) -> None:
    """404 TagNotFound if the resource does not carry it."""
    row = network_resource_owned(context=context, resource=resource, resource_id=resource_id)
    deleted, _ = row.tags.filter(tag=tag).delete()
    if not deleted:
        raise TagNotFound(tag)
    logger.info("%s %s untagged %r", resource, row.id, tag)


def network_resource_tags_clear(*, context, resource: str, resource_id) -> None:
    row = network_resource_owned(context=context, resource=resource, resource_id=resource_id)
    row.tags.all().delete()
    logger.info("%s %s tags cleared", resource, row.id)
