"""The paging query parameters of every list (`limit`, `marker`, `offset`), parsed in one place.

Each is bounded here, so a bad or huge value answers 400 in the OpenStack shape instead of reaching the
database (a limit or offset past PostgreSQL's bigint was a 500).
"""
from dataclasses import dataclass

from django.conf import settings

from compute_platform.compute.exceptions import BadRequest

from .links import base_url

# Past Nova's integer columns a limit or offset is nonsense, not a request (20 digits overflowed PostgreSQL).
MAX_INTEGER = 2**31 - 1
MAX_MARKER_LENGTH = 255  # markers are uuids, flavor ids and key pair names, all at most 255


@dataclass(frozen=True)
class Page:
    limit: int  # 0..max_limit: a larger one (up to MAX_INTEGER) is capped, as Nova caps it at API_MAX_LIMIT;
    # 0 asks for an empty page, as in Nova and Glance
    marker: str | None  # the last item of the previous page (its id, or a key pair's name)
    offset: int  # 0..MAX_INTEGER


def _integer(params, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} param must be an integer")
    if value < 0:
        raise BadRequest(f"{name} param must be positive")  # Nova's words for a negative value
    if value > MAX_INTEGER:
        raise BadRequest(f"{name} param must be at most {MAX_INTEGER}")
    return value


def page_params(request, *, max_limit: int | None = None) -> Page:
    """The request's paging parameters; 400 for a limit or offset that is not an integer, is negative or is
    above MAX_INTEGER, or for an overlong marker. `max_limit` defaults to API_MAX_LIMIT."""
    max_limit = max_limit or settings.API_MAX_LIMIT
    params = request.query_params
    limit = min(_integer(params, "limit", default=max_limit), max_limit)
    offset = _integer(params, "offset", default=0)
    marker = params.get("marker") or None
    if marker is not None and len(marker) > MAX_MARKER_LENGTH:
        raise BadRequest(f"marker [{marker[:MAX_MARKER_LENGTH]}...] not found")
    return Page(limit=limit, marker=marker, offset=offset)


def next_links(request, key: str, *, page: Page, items: list, marker_of) -> dict:
    """Nova's `{key: [{"rel": "next", ...}]}` when the page came back full (merge it into the body), else {}."""
    if not items or len(items) < page.limit:
        return {}
    query = request.query_params.copy()
    query["marker"], query["limit"] = str(marker_of(items[-1])), str(page.limit)
    return {key: [{"rel": "next", "href": f"{base_url(request)}{request.path_info}?{query.urlencode()}"}]}
