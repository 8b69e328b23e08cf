"""Projects: created by the operator's commands, resolved when a token is scoped."""
from compute_platform.compute.exceptions import NotFound

from ..models import Project


def project_get_or_create(*, name: str, description: str = "") -> Project:
    project, _ = Project.objects.get_or_create(name=name, defaults={"description": description})
    return project


def project_for_scope(*, project_id: str | None = None, project_name: str | None = None) -> Project:
    qs = Project.objects.filter(enabled=True)
    project = qs.filter(pk=project_id).first() if project_id else qs.filter(name=project_name).first()
    if project is None:
        raise NotFound(f"Could not find project: {project_id or project_name}.")
    return project
