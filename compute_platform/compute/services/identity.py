"""Keystone-side services: users, projects, role assignments, tokens."""
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ..exceptions import NotFound
from ..models import Project, RoleAssignment, Token

User = get_user_model()


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def token_issue(*, user, project: Project | None, methods: list[str]) -> tuple[str, Token]:
    """Issue a token; only its hash is stored. Returns (the token to hand out, its row)."""
    roles = []
    if project is not None:
        roles = sorted(set(RoleAssignment.objects.filter(user=user, project=project).values_list("role", flat=True)))
    now = timezone.now()
    plaintext = "gAAAA" + secrets.token_urlsafe(48)  # Fernet-looking prefix: some tools sniff it
    token = Token.objects.create(
        token_hash=token_hash(plaintext), user=user, project=project, roles=roles, methods=methods,
        issued_at=now, expires_at=now + timedelta(seconds=settings.TOKEN_TTL_SECONDS),
    )
    return plaintext, token


def token_revoke(*, token: Token) -> None:
    Token.objects.filter(pk=token.pk).update(revoked=True)


def tokens_purge_expired() -> int:
    deleted, _ = Token.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def project_get_or_create(*, name: str, description: str = "") -> Project:
    project, _ = Project.objects.get_or_create(name=name, defaults={"description": description})
    return project


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


def project_for_scope(*, project_id: str | None = None, project_name: str | None = None) -> Project:
    qs = Project.objects.filter(enabled=True)
    project = qs.filter(pk=project_id).first() if project_id else qs.filter(name=project_name).first()
    if project is None:
        raise NotFound(f"Could not find project: {project_id or project_name}.")
    return project
