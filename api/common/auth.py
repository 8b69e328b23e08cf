"""Keystone token authentication: `X-Auth-Token` -> the token row (only hashes are stored)."""
from rest_framework import authentication, exceptions

from compute_platform.compute.context import RequestContext
from compute_platform.identity.selectors import token_get


class KeystoneTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        plaintext = request.headers.get("X-Auth-Token")
        if plaintext is None:
            return None
        token = token_get(plaintext=plaintext)
        if token is None:
            raise exceptions.AuthenticationFailed("The request you have made requires authentication.")
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) and tells clients where to authenticate, as keystonemiddleware does.
        return f'Keystone uri="{request.build_absolute_uri("/identity")}"'


def request_context(request) -> RequestContext:
    token = request.auth  # the identity app's Token, as authenticate() returned it
    return RequestContext(user_id=token.user_id, project_id=token.project_id or "",
                          roles=tuple(token.roles), request_id=getattr(request, "request_id", None) or "")
