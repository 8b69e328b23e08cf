"""Role assignments on projects (Keystone's PUT/DELETE /v3/projects/{p}/users/{u}/roles/{r})."""
import logging

from compute_platform.compute.exceptions import NotFound

from ..models import Project, RoleAssignment, Token

logger = logging.getLogger(__name__)


def role_require(*, role: str) -> str:
    """The role named `role` (a role's id is its name), or Keystone's 404."""
    if role not in dict(RoleAssignment.ROLES):
        raise NotFound(f"Could not find role: {role}.")
    return role


def role_grant(*, user, project: Project, role: str) -> None:
    """Give `user` `role` on `project`; granting it again changes nothing (Keystone answers 204 both times).
    Tokens issued before carry the roles of their time, as Keystone's do until they expire."""
    RoleAssignment.objects.get_or_create(user=user, project=project, role=role_require(role=role))
    logger.info("user %s granted %s on project %s", user.pk, role, project.pk)


def role_revoke(*, user, project: Project, role: str) -> None:
    """Take `role` on `project` from `user` (404 if not assigned) and revoke the user's tokens scoped to the
    project, which still list the role, as Keystone revokes them."""
    deleted, _ = RoleAssignment.objects.filter(user=user, project=project, role=role_require(role=role)).delete()
    if not deleted:
        raise NotFound(f"Could not find role assignment with role: {role}, user or group: {user.pk}, "
                       f"project, domain, or system: {project.pk}.")
    Token.objects.filter(user=user, project=project, revoked=False).update(revoked=True)
    logger.info("user %s lost %s on project %s", user.pk, role, project.pk)
