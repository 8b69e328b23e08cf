"""Absolute links as Nova and Glance return them."""
from django.conf import settings


def base_url(request) -> str:
    return (settings.PUBLIC_ENDPOINT or request.build_absolute_uri("/")).rstrip("/")

