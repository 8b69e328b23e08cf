"""A flavor's description is the one thing of a flavor that changes after its creation (microversion 2.55)."""
import logging

from ..models import Flavor

logger = logging.getLogger(__name__)


def flavor_set_description(*, flavor: Flavor, description: str | None) -> Flavor:
    Flavor.objects.filter(pk=flavor.pk).update(description=description)
    flavor.refresh_from_db()
    logger.info("flavor %s description updated", flavor.flavorid)
    return flavor
