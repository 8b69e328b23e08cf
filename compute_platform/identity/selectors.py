"""Keystone-side reads: live tokens, and the projects and users the identity API shows a token's holder.

Policy follows Keystone's defaults: an admin reads every project and user; anyone else reads themselves
and the projects they hold a role on. Unknown and not-permitted look alike (404), so a member cannot
probe for other projects' ids.
"""
from django.contrib.auth import get_user_model
from django.utils import timezone

from compute_platform.compute.exceptions import Forbidden, NotFound

from .models import Project, RoleAssignment, Token
from .models.tokens import token_hash

User = get_user_model()

DEFAULT_DOMAIN_ID = "default"


def _require_admin(context, what: str) -> None:
    if not context.is_admin:
        raise Forbidden(f"You are not authorized to perform the requested action: {what}.")


def project_list(*, context, name: str | None = None, domain_id: str | None = None,
                 enabled: bool | None = None):
    """Every project (admins only, identity:list_projects)."""
    _require_admin(context, "identity:list_projects")
    qs = Project.objects.live()
    if name:
        qs = qs.filter(name=name)
    if domain_id:
        qs = qs.filter(domain_id=domain_id)
    if enabled is not None:
        qs = qs.filter(enabled=enabled)
    return qs.order_by("name")


def project_get(*, context, project_id: str) -> Project:
    """A project by id: admins any, others one they hold a role on or their token's project."""
    qs = Project.objects.live()
    if not context.is_admin:
        qs = qs.filter(role_assignments__user_id=context.user_id).distinct()
    project = qs.filter(pk=project_id).first()
    if project is None:
        raise NotFound(f"Could not find project: {project_id}.")
    return project


def projects_of_user(*, context, user_id: str, enabled_only: bool = False):
    """The projects `user_id` holds a role on (the user itself, or an admin)."""
    user = user_get(context=context, user_id=user_id)
    qs = Project.objects.live().filter(role_assignments__user=user).distinct()
    if enabled_only:
        qs = qs.filter(enabled=True)
    return qs.order_by("name")


def user_list(*, context, name: str | None = None, domain_id: str | None = None,
              enabled: bool | None = None):
    """Every user (admins only, identity:list_users)."""
    _require_admin(context, "identity:list_users")
    qs = User.objects.filter(deletion__isnull=True)
    if name:
        qs = qs.filter(username=name)
    if domain_id and domain_id != DEFAULT_DOMAIN_ID:
        qs = qs.none()
    if enabled is not None:
        qs = qs.filter(is_active=enabled)
    return qs.order_by("username")


def user_get(*, context, user_id: str):
    """A user by id: admins any, others only themselves."""
    if not str(user_id).isdigit() or (not context.is_admin and str(context.user_id) != str(user_id)):
        raise NotFound(f"Could not find user: {user_id}.")
    user = User.objects.filter(pk=int(user_id), deletion__isnull=True).first()
    if user is None:
        raise NotFound(f"Could not find user: {user_id}.")
    return user


def token_get(*, plaintext: str | None) -> Token | None:
    """The live token for `plaintext`, or None if unknown, expired, revoked or its user disabled."""
    if not plaintext:
        return None
    token = Token.objects.select_related("user", "project").filter(token_hash=token_hash(plaintext)).first()
    if token is None or token.revoked or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    return token


def token_subject_get(*, context, plaintext: str | None) -> Token:
    """The live token `plaintext` names (X-Subject-Token), if the caller may see it.

    Only the token's own user or an admin may see or revoke it (Keystone's token_subject rule); anyone
    else is told it does not exist rather than shown its user, roles and project.
    """
    token = token_get(plaintext=plaintext)
    if token is None or (token.user_id != context.user_id and not context.is_admin):
        raise NotFound("Could not find token.")
    return token



def role_list(*, context) -> list[str]:
    """Keystone's default roles (admins only, identity:list_roles)."""
    _require_admin(context, "identity:list_roles")
    return [name for name, _ in RoleAssignment.ROLES]


def role_inferences(*, context) -> list[tuple[str, str]]:
    """(prior role, the role it implies) pairs (admins only, identity:list_role_inference_rules)."""
    _require_admin(context, "identity:list_role_inference_rules")
    return sorted(RoleAssignment.IMPLIES.items())


def role_get(*, context, role_id: str) -> str:
    """A role by id, which is its name (admins only, identity:get_role)."""
    _require_admin(context, "identity:get_role")
    if role_id not in dict(RoleAssignment.ROLES):
        raise NotFound(f"Could not find role: {role_id}.")
    return role_id


def project_user_roles(*, context, project_id: str, user_id: str) -> list[str]:
    """The roles `user_id` holds directly on `project_id` (admins only, identity:list_grants)."""
    _require_admin(context, "identity:list_grants")
    user = user_get(context=context, user_id=user_id)
    project = project_get(context=context, project_id=project_id)
    return sorted(RoleAssignment.objects.filter(user=user, project=project).values_list("role", flat=True))


def project_user_role_check(*, context, project_id: str, user_id: str, role_id: str) -> None:
    """404 unless `user_id` holds `role_id` directly on `project_id` (admins only, identity:check_grant)."""
    role_get(context=context, role_id=role_id)
    if role_id not in project_user_roles(context=context, project_id=project_id, user_id=user_id):
        raise NotFound(f"Could not find role assignment with role: {role_id}, user or group: {user_id}, "
                       f"project, domain, or system: {project_id}.")


def role_assignment_list(*, context, user_id: str | None = None, project_id: str | None = None,
                         role: str | None = None, effective: bool = False) -> list[tuple[str, str, str, str, str]]:
    """(role, user id, user name, project id, project name) rows, filtered (admins only,
    identity:list_role_assignments). `effective` adds the roles the assigned ones imply, as Keystone's
    ?effective does."""
    _require_admin(context, "identity:list_role_assignments")
    qs = RoleAssignment.objects.filter(project__deleted_at__isnull=True, user__deletion__isnull=True)
    if user_id is not None:
        qs = qs.filter(user_id=int(user_id)) if str(user_id).isdigit() else qs.none()
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    rows = set(qs.values_list("role", "user_id", "user__username", "project_id", "project__name"))
    if effective:
        rows = {(implied, *rest) for r, *rest in rows for implied in RoleAssignment.with_implied([r])}
    return [(r, str(u), un, p, pn) for r, u, un, p, pn in sorted(rows) if role is None or r == role]
