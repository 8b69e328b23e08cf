"""Cinder's microversion header on /volume/v3: only 3.0 (the base) is served. A request for 3.0 (or `latest`,
or none) is answered with `OpenStack-API-Version: volume 3.0`, as Cinder echoes it and Tempest's volume clients
check; any other version is 406 (400 when malformed), before a view runs."""
import re

from django.http import JsonResponse

from ..common.errors import error_body
from ..common.microversions import HEADER, InvalidVersion, parse
from .versions import VOLUME_VERSION

SERVICE = "volume"
_VOLUME_PATH = re.compile(r"^/volume/v3(/|$)")


def _requested(headers) -> str | None:
    for item in (headers.get(HEADER) or "").split(","):
        parts = item.strip().split(None, 1)
        if len(parts) == 2 and parts[0].lower() == SERVICE:
            return parts[1]
    return None


class VolumeMicroversionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _VOLUME_PATH.match(request.path):
            return self.get_response(request)
        asked = _requested(request.headers)
        if asked is not None and asked != "latest":
            try:
                version = parse(asked)
            except InvalidVersion as exc:
                return JsonResponse(error_body(request.path, 400, str(exc)), status=400)
            if version != parse(VOLUME_VERSION):
                return JsonResponse(error_body(request.path, 406, (
                    f"Version {asked} is not supported by the API. Minimum is {VOLUME_VERSION} and maximum is "
                    f"{VOLUME_VERSION}.")), status=406)
        response = self.get_response(request)
        response[HEADER] = f"{SERVICE} {VOLUME_VERSION}"
        vary = response.get("Vary")
        response["Vary"] = f"{vary}, {HEADER}" if vary else HEADER
        return response
