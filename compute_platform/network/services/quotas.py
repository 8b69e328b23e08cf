"""Network quotas (Neutron's /v2.0/quotas): per-project limits over settings.NETWORK_QUOTA_DEFAULTS.

Race-free as the compute quotas are: a create counts and inserts in one transaction after locking the
project's row (compute.services.quotas.quota_lock_project's lock), so two creates of one project never both
take the last unit."""
import logging

from django.db import connection, transaction

from compute_platform import sql
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
    used = _count_locked(project_id=project_id, table=QUOTA_COUNTED[resource]._meta.db_table)
    if used + adding > limit:
        logger.info("project %s over its %s quota (%d used of %d, %d asked)", project_id, resource, used, limit,
                    adding)
        raise OverQuota(resource)


def _count_locked(*, project_id: str, table: str) -> int:
    """Lock the project's row (FOR NO KEY UPDATE: inserts that merely reference the project are not blocked;
    SQLite's transactions serialize writers already), then count its rows of `table`. Two statements, in SQL:
    a port create runs them when the project has a port quota. The count must be its own statement: one
    taken with the lock would see the project's rows as they were before the lock was waited for."""
    lock = f" {connection.ops.for_update_sql(no_key=True)}" if connection.features.has_select_for_update else ""
    if not sql.rows(f"SELECT id FROM {Project._meta.db_table} WHERE id = %s{lock}", [project_id]):
        raise NeutronNotFound("Project", project_id)
    [(count,)] = sql.rows(f"SELECT COUNT(*) FROM {table} WHERE project_id = %s", [project_id])
    return count


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
