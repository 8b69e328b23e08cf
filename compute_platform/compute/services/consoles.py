"""Console auth tokens (Nova's `console_auth_tokens`): a short-lived secret naming one instance's console on
one host, handed out by the remote-consoles API and checked by the serial proxy before it opens anything.

The token itself is never stored: Redis keeps its SHA-256 with the connection it grants, expiring with it.
A lost Redis only loses tokens, which a client asks for again.
"""
import dataclasses
import hashlib
import json
import logging
import secrets
import time

from django.conf import settings

from compute_platform.redis_clients import redis_client

from ..exceptions import BadRequest, ComputeError, Conflict
from ..models import Instance
from ..states import VmState

logger = logging.getLogger(__name__)

# (protocol, type) pairs served, as Nova's remote-consoles API names them.
SUPPORTED_CONSOLES = {("serial", "serial")}
# States whose guest has a console to open (a paused guest's is open, and quiet).
CONSOLE_VM_STATES = (VmState.ACTIVE, VmState.PAUSED)
_KEY = "console-token:{}"


class ConsoleRefused(ComputeError):
    """A token that is unknown, expired, or whose instance is gone or has moved."""

    code = 401
    fault = "unauthorized"


@dataclasses.dataclass(frozen=True)
class ConsoleConnection:
    instance_uuid: str
    host: str
    project_id: str
    console_type: str
    expires_at: float


def _redis():
    return redis_client(settings.CONSOLE_REDIS_URL)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def console_token_create(*, context, instance: Instance, protocol: str = "serial",
                         console_type: str = "serial") -> dict:
    """A console URL with a new token for `instance` (already scoped to the caller by the selector):
    {"protocol", "type", "url", "token", "expires_at"}. 400 for a console type not served, 409 while the
    instance has no running guest."""
    if (protocol, console_type) not in SUPPORTED_CONSOLES:
        raise BadRequest(f"Unavailable console type {console_type}.")
    if instance.vm_state not in CONSOLE_VM_STATES or instance.host_id is None:
        raise Conflict(f"Instance {instance.uuid} is not ready (vm_state {instance.vm_state}).")
    token = secrets.token_urlsafe(32)
    ttl = settings.CONSOLE_TOKEN_TTL
    grant = ConsoleConnection(instance_uuid=str(instance.uuid), host=instance.host.name,
                              project_id=instance.project_id, console_type=console_type,
                              expires_at=time.time() + ttl)
    _redis().set(_KEY.format(_digest(token)), json.dumps(dataclasses.asdict(grant)), ex=ttl)
    logger.info("console token for instance %s on host %s issued to user %s, valid %d s (%s)", grant.instance_uuid,
                grant.host, context.user_id, ttl, context.request_id)
    url = settings.SERIAL_PROXY_URL.replace("{host}", grant.host)
    return {"protocol": protocol, "type": console_type, "url": f"{url}?token={token}", "token": token,
            "expires_at": grant.expires_at}


def console_token_authorize(*, token: str, host: str | None = None) -> ConsoleConnection:
    """The connection `token` grants, checked now: live token, instance still there with a guest, on the
    host the token names (and on `host`, for a proxy that serves one). ConsoleRefused otherwise."""
    raw = _redis().get(_KEY.format(_digest(token))) if token else None
    if raw is None:
        raise ConsoleRefused("The console token is invalid or has expired.")
    grant = ConsoleConnection(**json.loads(raw))
    if grant.expires_at <= time.time():  # Redis expires keys lazily to the millisecond; be exact
        raise ConsoleRefused("The console token is invalid or has expired.")
    if host is not None and grant.host != host:
        raise ConsoleRefused(f"This proxy serves host {host}, not {grant.host}.")
    instance = (Instance.objects.filter(uuid=grant.instance_uuid).select_related("host")
                .only("vm_state", "host__name").first())
    if instance is None or instance.vm_state not in CONSOLE_VM_STATES or instance.host is None \
            or instance.host.name != grant.host:
        raise ConsoleRefused(f"Instance {grant.instance_uuid} has no console on host {grant.host} any more.")
    return grant

