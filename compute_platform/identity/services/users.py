"""Users (Django's) and their roles."""
import logging
import secrets

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from compute_platform.compute.exceptions import Conflict

from ..models import Project, RoleAssignment, Token, UserDeletion
from ..selectors import DEFAULT_DOMAIN_ID
from .projects import domain_require_default

User = get_user_model()
logger = logging.getLogger(__name__)


@transaction.atomic
def user_create_or_update(*, username: str, password: str, project: Project, role: str,
                          email: str = "") -> "User":
    """Create or update a user with `role` on `project`. Admins also get Django admin access."""
    user, _ = User.objects.get_or_create(username=username, defaults={"email": email})
    user.set_password(password)
    if role == RoleAssignment.ADMIN:
        user.is_staff = user.is_superuser = True
    user.save()
    RoleAssignment.objects.get_or_create(user=user, project=project, role=role)
    if role == RoleAssignment.ADMIN:
        RoleAssignment.objects.get_or_create(user=user, project=project, role=RoleAssignment.MEMBER)
    return user


def _duplicate(name: str) -> Conflict:
    return Conflict(f"Conflict occurred attempting to store user - Duplicate entry found with name {name} "
                    f"at domain ID {DEFAULT_DOMAIN_ID}.")


def user_create(*, name: str, password: str | None = None, domain_id: str | None = None, enabled: bool = True,
                email: str = "", default_project: Project | None = None) -> "User":
    """Keystone's POST /v3/users: a user in the Default domain, with no role anywhere yet (Keystone's
    default_project_id grants nothing either). No password: the user cannot authenticate with one."""
    domain_require_default(domain_id=domain_id)
    user = User(username=name, email=email or "", is_active=enabled)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise _duplicate(name) from None
    logger.info("user %s (%s) created", user.pk, name)
    return user


def user_update(*, user: "User", name: str | None = None, password: str | None = None,
                enabled: bool | None = None, email: str | None = None) -> "User":
    """Keystone's PATCH /v3/users/{id}. A new password or disabling the user revokes its tokens."""
    if name is not None:
        user.username = name
    if email is not None:
        user.email = email
    if enabled is not None:
        user.is_active = enabled
    if password is not None:
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            if password is not None or enabled is False:
                Token.objects.filter(user=user, revoked=False).update(revoked=True)
    except IntegrityError:
        raise _duplicate(name) from None
    return user


@transaction.atomic
def user_delete(*, user: "User") -> None:
    """Keystone's DELETE /v3/users/{id}: the user is gone for every identity call, cannot authenticate, and
    its name is free again; its roles and tokens are dropped. The row stays (inactive, renamed) because
    servers and volumes it made reference it."""
    UserDeletion.objects.create(user=user, name=user.username)
    RoleAssignment.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    user.username = f"deleted-{user.pk}-{secrets.token_hex(4)}"
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.save()
    logger.info("user %s deleted", user.pk)
