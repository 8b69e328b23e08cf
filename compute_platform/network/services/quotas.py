"""Network quotas (Neutron's /v2.0/quotas): per-project limits over settings.NETWORK_QUOTA_DEFAULTS.

Race-free as the compute quotas are: a create counts and inserts in one transaction after locking the
project's row (compute.services.quotas.quota_lock_project's lock), so two creates of one project never both
take the last unit."""
import logging

from django.db import transaction

from compute_platform.identity.models import Project

from ..exceptions import InvalidInput, NeutronNotFound, OverQuota
from ..models import NetworkQuota
from ..models.quotas import NETWORK_QUOTA_RESOURCES
from ..selectors import QUOTA_COUNTED, network_quota_limits

logger = logging.getLogger(__name__)


def network_quota_reserve(*, project_id: str, resource: str, adding: int = 1, limit: int | None = None) -> None:
    """Lock the project's row (to the end of the caller's transaction) and raise OverQuota (409) unless
    `adding` more of `resource` fit (under `limit`, the project's, if the caller read it already). Call inside
    the transaction that then creates them."""
    if limit is None:
        limit = network_quota_limits(project_id=project_id)[resource]
    if limit < 0:
        return
    if not list(Project.objects.select_for_update(no_key=True).filter(pk=project_id).values_list("pk", flat=True)):
        raise NeutronNotFound("Project", project_id)
    used = QUOTA_COUNTED[resource].objects.filter(project_id=project_id).count()
    if used + adding > limit:
        logger.info("project %s over its %s quota (%d used of %d, %d asked)", project_id, resource, used, limit,
                    adding)
        raise OverQuota(resource)


def network_quota_update(*, project_id: str, values: dict) -> dict:
    if not Project.objects.live().filter(pk=project_id).exists():
        raise NeutronNotFound("Project", project_id)
    for resource, limit in values.items():
        if resource not in NETWORK_QUOTA_RESOURCES:
            raise InvalidInput(f"Unrecognized attribute(s) '{resource}'")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < -1:
            raise InvalidInput(f"'{limit}' is not a valid quota for {resource}: an integer, -1 or greater.")
    with transaction.atomic():
        for resource, limit in values.items():
            NetworkQuota.objects.update_or_create(project_id=project_id, resource=resource,
                                                  defaults={"hard_limit": limit})
    logger.info("network quotas of project %s set: %s", project_id, values)
    return network_quota_limits(project_id=project_id)


def network_quota_reset(*, project_id: str) -> None:
    NetworkQuota.objects.filter(project_id=project_id).delete()
    logger.info("network quotas of project %s reverted to the defaults", project_id)
