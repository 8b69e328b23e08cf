"""Absolute links as Nova and Glance return them."""
from django.conf import settings


def base_url(request) -> str:
    return (settings.PUBLIC_ENDPOINT or request.build_absolute_uri("/")).rstrip("/")


def resource_links(request, service: str, collection: str, rid, project_id: str | None = None) -> list[dict]:
    base = base_url(request)
    path = f"{collection}/{rid}" if project_id is None else f"{project_id}/{collection}/{rid}"
    return [{"rel": "self", "href": f"{base}/{service}/v2.1/{path}"},
            {"rel": "bookmark", "href": f"{base}/{service}/{path}"}]
