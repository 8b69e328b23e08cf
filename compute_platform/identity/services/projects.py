"""Projects: created by the operator's commands or Keystone's admin API, resolved when a token is scoped."""
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from compute_platform.compute.exceptions import BadRequest, Conflict, NotFound

from ..models import Project, RoleAssignment, Token
from ..selectors import DEFAULT_DOMAIN_ID

logger = logging.getLogger(__name__)


def project_get_or_create(*, name: str, description: str = "") -> Project:
    project, _ = Project.objects.live().get_or_create(name=name, defaults={"description": description})
    return project


def project_for_scope(*, project_id: str | None = None, project_name: str | None = None) -> Project:
    qs = Project.objects.live().filter(enabled=True)
    project = qs.filter(pk=project_id).first() if project_id else qs.filter(name=project_name).first()
    if project is None:
        raise NotFound(f"Could not find project: {project_id or project_name}.")
    return project


def domain_require_default(*, domain_id: str | None) -> None:
    # One domain exists; Keystone answers an unknown domain_id with 400 on create.
    if domain_id not in (None, DEFAULT_DOMAIN_ID):
        raise BadRequest(f"Could not find domain: {domain_id}.")


def _duplicate(name: str) -> Conflict:
    return Conflict(f"Conflict occurred attempting to store project - Duplicate entry found with name {name} "
                    f"at domain ID {DEFAULT_DOMAIN_ID}.")


def project_create(*, name: str, description: str = "", domain_id: str | None = None,
                   enabled: bool = True) -> Project:
    """Keystone's POST /v3/projects: a project in the Default domain; 409 if the name is taken."""
    domain_require_default(domain_id=domain_id)
    try:
        with transaction.atomic():
            project = Project.objects.create(name=name, description=description, enabled=enabled)
    except IntegrityError:
        raise _duplicate(name) from None
    logger.info("project %s (%s) created", project.id, name)
    return project


def project_update(*, project: Project, name: str | None = None, description: str | None = None,
                   enabled: bool | None = None) -> Project:
    """Keystone's PATCH /v3/projects/{id}: rename, describe, enable or disable. Disabling a project
    revokes its tokens, as Keystone does."""
    for field, value in (("name", name), ("description", description), ("enabled", enabled)):
        if value is not None:
            setattr(project, field, value)
    try:
        with transaction.atomic():
            project.save(update_fields=["name", "description", "enabled"])
            if enabled is False:
                Token.objects.filter(project=project, revoked=False).update(revoked=True)
    except IntegrityError:
        raise _duplicate(name) from None
    return project


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Keystone's DELETE /v3/projects/{id}: the project is gone (unknown to every identity call, its name
    free, its role assignments and tokens dropped); its servers, volumes and networks stay, as in OpenStack,
    where Keystone does not tell Nova, Cinder or Neutron."""
    RoleAssignment.objects.filter(project=project).delete()
    Token.objects.filter(project=project).delete()
    Project.objects.filter(pk=project.pk).update(deleted_at=timezone.now(), enabled=False)
    logger.info("project %s (%s) deleted", project.id, project.name)
