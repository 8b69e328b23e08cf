import logging
import uuid

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from compute_platform.identity.models import Project

from ..exceptions import BadRequest, Conflict, NotFound
from ..models import Flavor, FlavorAccess

logger = logging.getLogger(__name__)


def flavor_create(*, name: str, vcpus: int, memory_mb: int, root_gb: int, flavorid: str | None = None,
                  ephemeral_gb: int = 0, swap: int = 0, rxtx_factor: float = 1.0, is_public: bool = True,
                  description: str | None = None) -> Flavor:
    flavorid = flavorid or str(uuid.uuid4())
    try:
        with transaction.atomic():
            return Flavor.objects.create(flavorid=flavorid, name=name, vcpus=vcpus, memory_mb=memory_mb,
                                         root_gb=root_gb, ephemeral_gb=ephemeral_gb, swap=swap,
                                         rxtx_factor=rxtx_factor, is_public=is_public, description=description)
    except IntegrityError:
        raise Conflict(f"Flavor with name {name} or ID {flavorid} already exists.")


def flavor_delete(*, flavor: Flavor) -> None:
    """Delete the flavor, as Nova lets an admin even while instances use it: they keep their copy (Nova embeds
    the flavor in the instance), so a row still referenced by an instance or a migration (PROTECT) is only
    marked deleted; its id and name are free for a new flavor at once."""
    try:
        with transaction.atomic():
            Flavor.all_objects.filter(pk=flavor.pk).delete()
    except ProtectedError:
        Flavor.all_objects.filter(pk=flavor.pk).update(deleted_at=timezone.now())
        logger.info("flavor %s deleted (kept for the instances and migrations that refer to it)", flavor.flavorid)
    else:
        logger.info("flavor %s deleted", flavor.flavorid)


def flavor_access_add(*, flavor: Flavor, project_id: str) -> None:
    """Give a project access to a private flavor (Nova answers 409 for a project that has it already)."""
    if not Project.objects.live().filter(pk=project_id).exists():
        raise BadRequest(f"Project ID {project_id} is not a valid project.")
    try:
        with transaction.atomic():
            FlavorAccess.objects.create(flavor=flavor, project_id=project_id)
    except IntegrityError:
        raise Conflict(f"Flavor access already exists for flavor {flavor.flavorid} and project {project_id} "
                       "combination.")
    logger.info("project %s given access to flavor %s", project_id, flavor.flavorid)


def flavor_access_remove(*, flavor: Flavor, project_id: str) -> None:
    deleted, _ = FlavorAccess.objects.filter(flavor=flavor, project_id=project_id).delete()
    if not deleted:
        raise NotFound(f"Flavor access not found for {flavor.flavorid} / {project_id} combination.")
    logger.info("access of project %s to flavor %s removed", project_id, flavor.flavorid)


def flavor_extra_specs_set(*, flavor: Flavor, specs: dict) -> dict:
    """Merge `specs` into the flavor's extra specs (values as strings, as Nova stores them); returns them."""
    with transaction.atomic():
        row = Flavor.objects.select_for_update().get(pk=flavor.pk)  # concurrent merges must not lose keys
        row.extra_specs = {**(row.extra_specs or {}), **{k: str(v) for k, v in specs.items()}}
        row.save(update_fields=["extra_specs"])
    return row.extra_specs


def flavor_extra_spec_delete(*, flavor: Flavor, key: str) -> None:
    with transaction.atomic():
        row = Flavor.objects.select_for_update().get(pk=flavor.pk)
        specs = dict(row.extra_specs or {})
        if key not in specs:
            raise NotFound(f"Flavor {flavor.flavorid} has no extra specs with key {key}.")
        del specs[key]
        row.extra_specs = specs
        row.save(update_fields=["extra_specs"])
