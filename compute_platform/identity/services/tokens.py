"""Keystone-side token services: authenticate and issue, revoke, purge."""
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.utils import timezone

from compute_platform.compute.exceptions import NotFound

from ..exceptions import Unauthorized
from ..models import Project, RoleAssignment, Token
from ..models.tokens import token_hash
from ..selectors import DEFAULT_DOMAIN_ID, token_get
from .projects import project_for_scope

AUTH_REQUIRED = "The request you have made requires authentication."


def token_issue(*, user, project: Project | None, methods: list[str]) -> tuple[str, Token]:
    """Issue a token; only its hash is stored. Returns (the token to hand out, its row)."""
    roles = []
    if project is not None:
        roles = RoleAssignment.with_implied(
            RoleAssignment.objects.filter(user=user, project=project).values_list("role", flat=True))
    now = timezone.now()
    plaintext = "gAAAA" + secrets.token_urlsafe(48)  # Fernet-looking prefix: some tools sniff it
    token = Token.objects.create(
        token_hash=token_hash(plaintext), user=user, project=project, roles=roles, methods=methods,
        issued_at=now, expires_at=now + timedelta(seconds=settings.TOKEN_TTL_SECONDS),
    )
    return plaintext, token


def _in_default_domain(ref: dict | None) -> bool:
    return not ref or ref.get("id") == DEFAULT_DOMAIN_ID or ref.get("name") == "Default"


def _user_by_password(ref: dict):
    if not _in_default_domain(ref.get("domain")) and not ref.get("id"):
        raise Unauthorized(AUTH_REQUIRED)
    username = ref.get("name")
    if ref.get("id"):
        user = get_user_model().objects.filter(pk=ref["id"] if ref["id"].isdigit() else None).first()
        username = user.username if user else None
    return authenticate(None, username=username, password=ref["password"]) if username else None


def _scope_project(*, user, ref: dict | None) -> Project | None:
    if not ref:
        return None
    if not ref.get("id") and not _in_default_domain(ref.get("domain")):
        raise Unauthorized(f"Could not find project {ref.get('name')} in that domain.")
    try:
        project = project_for_scope(project_id=ref.get("id"), project_name=ref.get("name"))
    except NotFound as exc:
        raise Unauthorized(exc.message) from None
    if not project.role_assignments.filter(user=user).exists():
        raise Unauthorized(f"User {user.pk} has no access to project {project.id}")
    return project


def token_authenticate(*, identity: dict, scope: dict | None = None) -> tuple[str, Token]:
    """Keystone's POST /v3/auth/tokens on a validated body: find the user by password or by a live
    token, scope to a project the user holds a role on (if asked), issue. Every refusal is Unauthorized."""
    if "password" in identity["methods"]:
        user = _user_by_password(identity["password"]["user"])
    else:
        prior = token_get(plaintext=identity["token"]["id"])
        user = prior.user if prior else None
    if user is None or not user.is_active:
        raise Unauthorized(AUTH_REQUIRED)
    project = _scope_project(user=user, ref=(scope or {}).get("project"))
    return token_issue(user=user, project=project, methods=identity["methods"])


def token_revoke(*, token: Token) -> None:
    Token.objects.filter(pk=token.pk).update(revoked=True)


def tokens_purge_expired() -> int:
    deleted, _ = Token.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
