"""APIs Nova removed at a microversion: at or above it they answer 404, as Nova's version-gated routes."""
from compute_platform.compute.exceptions import NotFound

from ..common.microversions import version_at_least


def require_below(request, version: str) -> None:
    """404 when the request's microversion is `version` or later (the API was removed there)."""
    if version_at_least(request, version):
        raise NotFound("The resource could not be found.")
