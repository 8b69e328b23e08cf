"""Reads of host aggregates (os-aggregates), with their hosts' names."""
from django.db.models import Prefetch

from .exceptions import BadRequest, NotFound
from .models import Aggregate, Host


def _with_hosts(qs):
    return qs.prefetch_related(Prefetch("hosts", queryset=Host.objects.only("id", "name").order_by("name")))


def aggregate_list() -> list[Aggregate]:
    return list(_with_hosts(Aggregate.objects.order_by("id")))


def aggregate_get(*, aggregate_id) -> Aggregate:
    """By the integer id the API carries: 400 for an id that is no integer, 404 for none such."""
    try:
        pk = int(str(aggregate_id))
    except ValueError:
        raise BadRequest(f"Invalid input received: id must be an integer, not {aggregate_id!r}")
    aggregate = _with_hosts(Aggregate.objects.filter(pk=pk)).first()
    if aggregate is None:
        raise NotFound(f"Aggregate {aggregate_id} could not be found.")
    return aggregate
