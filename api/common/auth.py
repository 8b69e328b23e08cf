"""Keystone token authentication: `X-Auth-Token` -> the token row (only hashes are stored)."""
from django.utils import timezone
from rest_framework import authentication, exceptions

from compute_platform.compute.context import RequestContext
from compute_platform.compute.models import Token
from compute_platform.compute.services.identity import token_hash


def token_lookup(plaintext: str | None) -> Token | None:
    """The live token for `plaintext`, or None if unknown, expired or revoked."""
    if not plaintext:
        return None
    token = Token.objects.select_related("user", "project").filter(token_hash=token_hash(plaintext)).first()
    if token is None or token.revoked or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    return token


class KeystoneTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        plaintext = request.headers.get("X-Auth-Token")
        if plaintext is None:
            return None
        token = token_lookup(plaintext)
        if token is None:
            raise exceptions.AuthenticationFailed("The request you have made requires authentication.")
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) and tells clients where to authenticate, as keystonemiddleware does.
        return f'Keystone uri="{request.build_absolute_uri("/identity")}"'


def request_context(request) -> RequestContext:
    token: Token = request.auth
    return RequestContext(user_id=token.user_id, project_id=token.project_id or "",
                          roles=tuple(token.roles), request_id=getattr(request, "request_id", None) or "")
