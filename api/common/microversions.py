"""Compute API microversions, as Nova negotiates them.

A client asks with `OpenStack-API-Version: compute X.Y` (or the legacy `X-OpenStack-Nova-API-Version: X.Y`);
no header means 2.1, `latest` means our maximum. Outside [MIN_VERSION, MAX_VERSION] answers 406; a string
that is not `X.Y` answers 400. The negotiated version is echoed in both headers with a `Vary` on them, and
views read it as `request.api_version`, a comparable tuple, or through `version_at_least(request, "2.2")`.

MAX_VERSION is the highest microversion up to which every step is done here or owned by a feature another
part of the platform builds (the README's "Compute microversions" table lists each step with what it
changed). Steps owned elsewhere and not yet in this branch, which those features gate with version_at_least:
  2.5 ip6 filter, 2.32/2.37/2.42 network tags and auto/none, 2.72 ports (networking);
  2.20 volume attach to shelved servers, 2.54/2.57/2.63 the rebuild request's key_name, user_data and
  trusted_image_certificates (moves A; the rebuild answer per version is done here);
  2.14/2.22-2.25/2.29/2.30/2.34/2.56/2.59/2.65/2.68 migrations and evacuate (moves B).
Routes Nova removed answer 404 from their version (REMOVED_ROUTES).
Raise MAX_VERSION only together with the code (or an owner) for every step in between.
"""
from __future__ import annotations

import re

from django.http import JsonResponse

from .errors import error_body

SERVICE = "compute"
MIN_VERSION: tuple[int, int] = (2, 1)
MAX_VERSION: tuple[int, int] = (2, 73)  # see the docstring: 2.74 (boot on a host) is next
DEFAULT_VERSION = MIN_VERSION  # no header: the 2.1 behaviour, as Nova

HEADER = "OpenStack-API-Version"
LEGACY_HEADER = "X-OpenStack-Nova-API-Version"
VARY = f"{HEADER}, {LEGACY_HEADER}"
# The paths microversions apply to: the compute API, and not its unversioned root document.
_COMPUTE_PATH = re.compile(r"^/compute/v2\.1(/|$)")
_VERSION = re.compile(r"^([1-9]\d*)\.(0|[1-9]\d*)$")


# Routes Nova removed at a microversion: at and above it they answer 404, whoever serves them below.
_ROUTE = r"^/compute/v2\.1/(?:[^/]+/)?"
REMOVED_ROUTES = [(re.compile(_ROUTE + pattern), removed_at) for pattern, removed_at in (
    # 2.36: the proxies to the image and network services, and fping
    (r"(images|os-networks|os-fixed-ips|os-floating-ips|os-floating-ip-dns|os-floating-ip-pools|"
     r"os-floating-ips-bulk|os-security-groups|os-security-group-rules|os-security-group-default-rules|"
     r"os-tenant-networks|os-fping|os-baremetal-nodes)(/|$)", (2, 36)),
    (r"os-hosts(/|$)", (2, 43)),
    (r"(servers/[^/]+/)?os-virtual-interfaces(/|$)", (2, 44)),
    (r"os-hypervisors/[^/]+/(search|servers)$", (2, 53)),  # query parameters of the list from 2.53
    (r"os-hypervisors/(statistics|[^/]+/uptime)$", (2, 88)),
    (r"os-volumes_boot(/|$)", (2, 103)),
)]


def removed_at(path: str, version: tuple[int, int]) -> bool:
    """Whether `path` is a route Nova no longer has at `version`."""
    return any(version >= at and pattern.match(path) for pattern, at in REMOVED_ROUTES)


class InvalidVersion(ValueError):
    """Not of the form MajorNum.MinorNum (400)."""


class UnsupportedVersion(ValueError):
    """Well formed but outside what this API serves (406)."""


def to_string(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


MIN_VERSION_STRING, MAX_VERSION_STRING = to_string(MIN_VERSION), to_string(MAX_VERSION)


def parse(value: str) -> tuple[int, int]:
    """`"2.10"` -> (2, 10), `"latest"` -> MAX_VERSION. Compare tuples, never strings ("2.10" > "2.9")."""
    value = value.strip()
    if value.lower() == "latest":
        return MAX_VERSION
    match = _VERSION.match(value)
    if match is None:
        raise InvalidVersion(f"API Version String {value} is of invalid format. Must be of format "
                             "MajorNum.MinorNum.")
    return int(match.group(1)), int(match.group(2))


def requested(headers) -> str | None:
    """The version string the client asked for, or None. The service-typed header wins over the legacy
    one; `OpenStack-API-Version` may list several services (`compute 2.1, volume 3.0`)."""
    value = headers.get(HEADER)
    if value:
        for item in value.split(","):
            parts = item.strip().split(None, 1)
            if len(parts) == 2 and parts[0].lower() == SERVICE:
                return parts[1]
    legacy = headers.get(LEGACY_HEADER)
    return legacy.strip() if legacy else None


def negotiate(headers) -> tuple[int, int]:
    """The version to serve for these request headers; raises InvalidVersion or UnsupportedVersion."""
    asked = requested(headers)
    if asked is None:
        return DEFAULT_VERSION
    version = parse(asked)
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise UnsupportedVersion(f"Version {to_string(version)} is not supported by the API. Minimum is "
                                 f"{MIN_VERSION_STRING} and maximum is {MAX_VERSION_STRING}.")
    return version


def version_at_least(request, version: str) -> bool:
    """Whether the request was negotiated at `version` or later. Requests outside the compute API (and
    requests built without the middleware, e.g. by the schema generator) count as the default 2.1."""
    return getattr(request, "api_version", DEFAULT_VERSION) >= parse(version)


def _echo(response, version: tuple[int, int]):
    text = to_string(version)
    response[HEADER] = f"{SERVICE} {text}"
    response[LEGACY_HEADER] = text
    vary = response.get("Vary")
    response["Vary"] = f"{vary}, {VARY}" if vary else VARY
    return response


class MicroversionMiddleware:
    """Negotiates the version of every /compute/v2.1 request before the view runs, so a 400 or 406
    never reaches a view and every compute response (errors included) carries the echo headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _COMPUTE_PATH.match(request.path):
            return self.get_response(request)
        try:
            request.api_version = negotiate(request.headers)
        except InvalidVersion as exc:
            return JsonResponse(error_body(request.path, 400, str(exc)), status=400)
        except UnsupportedVersion as exc:
            # No echo, as Nova: nothing was negotiated. The message names the range to retry within.
            return JsonResponse(error_body(request.path, 406, str(exc)), status=406)
        if removed_at(request.path, request.api_version):
            return _echo(JsonResponse(error_body(request.path, 404, "The resource could not be found."),
                                      status=404), request.api_version)
        return _echo(self.get_response(request), request.api_version)
