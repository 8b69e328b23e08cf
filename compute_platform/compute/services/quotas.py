"""Quotas (Nova's os-quota-sets): per-project limits over the defaults in settings, counted at request time.

Enforcement is race-free by locking: every check that is followed by a create runs in the creating
transaction after `quota_lock_project` has locked the project's row, so two requests of one project
count and create one after the other and together never exceed a limit. Projects do not wait on each
other. (Nova counts and then re-checks; a lock is simpler with one database.)
"""
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Sum

from compute_platform.identity.models import Project
from compute_platform.sql import json_value, rows

from ..exceptions import BadRequest, Forbidden, NotFound
from ..models import Instance, KeyPair, ProjectQuota, QuotaClass, ServerGroup, UserQuota
from ..models.quotas import QUOTA_RESOURCES
from ..states import VmState

logger = logging.getLogger(__name__)

DEFAULT_CLASS = "default"  # the quota class whose limits are every project's defaults
# Resources counted from rows; the others are limits on a single request (metadata items, injected files).
INSTANCE_RESOURCES = ("instances", "cores", "ram")


class OverQuota(Forbidden):
    """403, in Nova's words."""


# --- pure rules (unit tested) ------------------------------------------------------------------------

def quota_allowed_count(*, limits: dict, usage: dict, deltas: dict, max_count: int) -> int:
    """How many of `max_count` instances (each adding `deltas`) fit under the limits (-1: unlimited)."""
    allowed = max_count
    for resource, delta in deltas.items():
        limit = limits[resource]
        if limit < 0 or delta <= 0:
            continue
        allowed = min(allowed, max(0, (limit - usage[resource]) // delta))
    return allowed


def quota_exceeded_message(*, limits: dict, usage: dict, requested: dict) -> str | None:
    """Nova's TooManyInstances wording for the resources `requested` would exceed, or None if it fits:
    `Quota exceeded for instances: Requested 1, but already used 5 of 5 instances`."""
    overs = sorted(r for r, amount in requested.items()
                   if limits[r] >= 0 and usage[r] + amount > limits[r])
    if not overs:
        return None
    first, names = overs[0], ", ".join(overs)
    return (f"Quota exceeded for {names}: Requested {requested[first]}, but already used {usage[first]} "
            f"of {limits[first]} {names}")


def quota_validate_update(*, resource: str, limit: int, in_use: int) -> None:
    """Nova's checks on a new limit (skipped with `force`)."""
    if limit < -1:
        raise BadRequest(f"Quota limit {limit} for {resource} must be -1 or greater.")
    if limit != -1 and limit < in_use:
        raise BadRequest(f"Quota limit {limit} for {resource} must be greater than or equal to already used "
                         f"and reserved {in_use}.")


# --- reads -------------------------------------------------------------------------------------------

def quota_defaults(*, class_limits: dict | None = None) -> dict:
    """The settings' defaults under the `default` quota class's overrides (Nova's default quota class; read
    unless given as `class_limits`)."""
    if class_limits is None:
        row = QuotaClass.objects.filter(name=DEFAULT_CLASS).first()
        class_limits = row.limits if row else {}
    return {r: class_limits.get(r, settings.QUOTA_DEFAULTS[r]) for r in QUOTA_RESOURCES}


def _limits_from(overrides: dict, *, class_limits: dict | None = None) -> dict:
    defaults = quota_defaults(class_limits=class_limits)
    return {r: overrides.get(r, defaults[r]) for r in QUOTA_RESOURCES}


def quota_limits(*, project_id: str) -> dict:
    """The project's limits (its overrides over the defaults), one query, no lock."""
    return quota_limits_and_user(project_id=project_id, user_id=None)[0]


def quota_limits_and_user(*, project_id: str, user_id) -> tuple[dict, dict]:
    """(The project's limits, the user's own overrides within it: {} for none or no `user_id`), no lock: the
    project's overrides, the default class's and the user's read in one query (a boot read them in three).
    Written in SQL: every boot reads it, and through the ORM its subqueries cost more Python than the query."""
    columns = ", ".join(f"q.{ProjectQuota._meta.get_field(r).column}" for r in QUOTA_RESOURCES)
    sql = (f"SELECT (SELECT limits FROM {QuotaClass._meta.db_table} WHERE name = %s), "
           f"(SELECT limits FROM {UserQuota._meta.db_table} WHERE project_id = p.id AND user_id = %s), {columns} "
           f"FROM {Project._meta.db_table} p LEFT OUTER JOIN {ProjectQuota._meta.db_table} q ON q.project_id = p.id "
           "WHERE p.id = %s")
    # A user_id of None matches no row (= NULL is never true): no user overrides.
    row = next(iter(rows(sql, [DEFAULT_CLASS, None if user_id is None else str(user_id), str(project_id)])), None)
    if row is None:  # no such project (an admin's os-quota-sets call): the defaults
        return _limits_from({}), {}
    class_limits, own, *values = row
    overrides = {r: v for r, v in zip(QUOTA_RESOURCES, values) if v is not None}
    return _limits_from(overrides, class_limits=json_value(class_limits, {})), json_value(own, {})


def quota_require_project(*, project_id: str) -> None:
    """400 unless the project exists (Nova's os-quota-sets answer for an unknown project)."""
    if not Project.objects.live().filter(pk=project_id).exists():
        raise BadRequest(f"Project ID {project_id} is not a valid project.")


def quota_instance_usage(*, project_id: str) -> dict:
    """The instances, cores and RAM the project's live instances hold: the one usage aggregate."""
    agg = Instance.objects.filter(project_id=project_id).exclude(vm_state=VmState.DELETED).aggregate(
        instances=Count("id"), cores=Sum("vcpus"), ram=Sum("memory_mb"))
    return {r: agg[r] or 0 for r in INSTANCE_RESOURCES}


def quota_usage(*, project_id: str, user_id=None) -> dict:
    """What the project uses of each counted resource (key pairs: those of `user_id`, as Nova counts them)."""
    usage = {r: 0 for r in QUOTA_RESOURCES}
    usage.update(quota_instance_usage(project_id=project_id))
    usage["server_groups"] = ServerGroup.objects.filter(project_id=project_id).count()
    if user_id is not None:
        usage["key_pairs"] = KeyPair.objects.filter(user_id=user_id).count()
    return usage


# --- enforcement (inside the caller's transaction) ----------------------------------------------------

def quota_lock_project(*, project_id: str) -> dict:
    """Lock the project's row until the caller's transaction ends and return its limits, in one query.

    FOR NO KEY UPDATE: concurrent quota checks of the project queue here, while inserts that merely
    reference the project (tokens, instances: FOR KEY SHARE) are not blocked. On SQLite, whose
    IMMEDIATE transactions already serialize writers, select_for_update is a no-op.
    """
    project = (Project.objects.select_for_update(no_key=True, of=("self",)).select_related("quota")
               .filter(pk=project_id).first())
    if project is None:
        raise NotFound(f"Project {project_id} could not be found.")
    try:
        overrides = project.quota.overrides()
    except ProjectQuota.DoesNotExist:
        overrides = {}
    return _limits_from(overrides)


def quota_reserve_instances(*, project_id: str, limits: dict, min_count: int, max_count: int, vcpus: int,
                            memory_mb: int, user_id=None, user_overrides: dict | None = None) -> int:
    """How many instances (min_count..max_count) the project, and the user within it (`user_id`, when the
    user has limits of their own: `user_overrides` if read already, quota_limits_and_user), may create now;
    403 if not min_count.

    Call with the project locked (quota_lock_project) and create the instances before the lock goes.
    """
    deltas = {"instances": 1, "cores": vcpus, "ram": memory_mb}
    allowed = max_count
    if any(limits[r] >= 0 for r in INSTANCE_RESOURCES):
        allowed = _instances_allowed(limits=limits, usage=quota_instance_usage(project_id=project_id), deltas=deltas,
                                     min_count=min_count, max_count=allowed, who=f"project {project_id}")
    own = user_overrides if user_overrides is not None else (
        _user_overrides(project_id=project_id, user_id=user_id) if user_id is not None else {})
    if any(own.get(r, -1) >= 0 for r in INSTANCE_RESOURCES):
        # The caller locks the project only when the project has limits; the user's need it too (a lock the
        # transaction holds already is taken again at no cost).
        quota_lock_project(project_id=project_id)
        allowed = _instances_allowed(limits={**limits, **own}, usage=quota_user_usage(project_id=project_id,
                                                                                       user_id=str(user_id)),
                                     deltas=deltas, min_count=min_count, max_count=allowed, who=f"user {user_id}")
    return allowed


def quota_check_resize(*, project_id: str, vcpus: int, memory_mb: int) -> None:
    """403 when growing an instance by `vcpus` cores and `memory_mb` MB of RAM (deltas; a shrink always fits)
    would take the project over its limits, as Nova checks a resize before scheduling it. Locks the project
    row for the caller's transaction, so two resizes cannot both take the last room."""
    requested = {r: d for r, d in (("cores", vcpus), ("ram", memory_mb)) if d > 0}
    if not requested:
        return
    limits = quota_lock_project(project_id=project_id)
    if all(limits[r] < 0 for r in requested):
        return
    message = quota_exceeded_message(limits=limits, usage=quota_instance_usage(project_id=project_id),
                                     requested=requested)
    if message:
        logger.info("project %s: resize over quota: %s", project_id, message)
        raise OverQuota(message)


def _instances_allowed(*, limits: dict, usage: dict, deltas: dict, min_count: int, max_count: int, who: str) -> int:
    allowed = quota_allowed_count(limits=limits, usage=usage, deltas=deltas, max_count=max_count)
    if allowed < min_count:
        message = quota_exceeded_message(limits=limits, usage=usage,
                                         requested={r: d * max_count for r, d in deltas.items()})
        logger.info("%s over quota: %s", who, message)
        raise OverQuota(message)
    return allowed


def quota_check_metadata(*, limits: dict, items: int) -> None:
    limit = limits["metadata_items"]
    if 0 <= limit < items:
        raise OverQuota(f"Maximum number of metadata items exceeds {limit}")


# --- os-quota-sets writes ------------------------------------------------------------------------------

def quota_set_update(*, project_id: str, values: dict, force: bool = False) -> dict:
    """Set the project's limits (admin). Without `force`, a limit below current usage is refused (400).
    Returns the new limits."""
    quota_require_project(project_id=project_id)
    with transaction.atomic():
        quota_lock_project(project_id=project_id)  # no boot counts against half-applied limits
        if not force:
            usage = quota_usage(project_id=project_id)
            for resource, limit in values.items():
                quota_validate_update(resource=resource, limit=limit, in_use=usage.get(resource, 0))
        else:
            for resource, limit in values.items():
                if limit < -1:
                    raise BadRequest(f"Quota limit {limit} for {resource} must be -1 or greater.")
        row, _ = ProjectQuota.objects.get_or_create(project_id=project_id)
        for resource, limit in values.items():
            setattr(row, resource, limit)
        row.save()
    logger.info("quotas of project %s set: %s", project_id, values)
    return _limits_from(row.overrides())


def quota_set_delete(*, project_id: str) -> None:
    """Revert the project to the defaults."""
    ProjectQuota.objects.filter(project_id=project_id).delete()
    logger.info("quotas of project %s reverted to the defaults", project_id)


def quota_lock_user(*, user_id) -> None:
    """Serialize the key pair creates of one user (their quota is per user)."""
    list(get_user_model().objects.select_for_update(no_key=True).filter(pk=user_id).values_list("pk"))


# --- per-user quotas (os-quota-sets/{project}?user_id=) --------------------------------------------------

def _user_overrides(*, project_id: str, user_id) -> dict:
    row = UserQuota.objects.filter(project_id=project_id, user_id=str(user_id)).first()
    return row.limits if row else {}


def quota_user_limits(*, project_id: str, user_id) -> dict:
    """The user's limits: their overrides over the project's limits."""
    return {**quota_limits(project_id=project_id), **_user_overrides(project_id=project_id, user_id=user_id)}


def quota_user_usage(*, project_id: str, user_id: str) -> dict:
    """What one user uses in the project: their instances (and their sizes) and key pairs."""
    usage = {r: 0 for r in QUOTA_RESOURCES}
    if not str(user_id).isdigit():  # user ids are integers here: anyone else owns nothing
        return usage
    agg = Instance.objects.filter(project_id=project_id, user_id=int(user_id)).exclude(
        vm_state=VmState.DELETED).aggregate(instances=Count("id"), cores=Sum("vcpus"), ram=Sum("memory_mb"))
    usage.update({r: agg[r] or 0 for r in INSTANCE_RESOURCES})
    usage["key_pairs"] = KeyPair.objects.filter(user_id=int(user_id)).count()
    return usage


def quota_user_set_update(*, project_id: str, user_id: str, values: dict, force: bool = False) -> dict:
    """Set a user's limits within the project (admin). Without `force`, each must lie between what the user
    uses and the project's limit (Nova's settable range), else 400. Returns the user's limits."""
    quota_require_project(project_id=project_id)
    with transaction.atomic():
        project_limits = quota_lock_project(project_id=project_id)
        usage = quota_user_usage(project_id=project_id, user_id=user_id)
        for resource, limit in values.items():
            if force:
                if limit < -1:
                    raise BadRequest(f"Quota limit {limit} for {resource} must be -1 or greater.")
                continue
            quota_validate_update(resource=resource, limit=limit, in_use=usage.get(resource, 0))
            maximum = project_limits[resource]
            if maximum != -1 and (limit == -1 or limit > maximum):
                raise BadRequest(f"Quota limit {limit} for {resource} must be less than or equal to {maximum}.")
        row, _ = UserQuota.objects.select_for_update().get_or_create(project_id=project_id, user_id=user_id)
        row.limits = {**row.limits, **values}
        row.save()
    logger.info("quotas of user %s in project %s set: %s", user_id, project_id, values)
    return {**project_limits, **row.limits}


def quota_user_set_delete(*, project_id: str, user_id: str) -> None:
    """Revert the user to the project's limits."""
    UserQuota.objects.filter(project_id=project_id, user_id=user_id).delete()
    logger.info("quotas of user %s in project %s reverted to the project's", user_id, project_id)


# --- quota classes (os-quota-class-sets) ------------------------------------------------------------------

def quota_class_limits(*, name: str, resources: tuple) -> dict:
    """The class's limits of `resources`: its own, else the settings' defaults (-1 for a resource that has
    none there, as the network ones)."""
    row = QuotaClass.objects.filter(name=name).first()
    overrides = row.limits if row else {}
    return {r: overrides.get(r, settings.QUOTA_DEFAULTS.get(r, -1)) for r in resources}


def quota_class_update(*, name: str, values: dict, resources: tuple) -> dict:
    """Set limits of the class (admin); the `default` class's are every project's defaults."""
    with transaction.atomic():
        row, _ = QuotaClass.objects.select_for_update().get_or_create(name=name)
        row.limits = {**row.limits, **values}
        row.save()
    logger.info("quota class %s set: %s", name, values)
    return quota_class_limits(name=name, resources=resources)
