"""The metadata service's paths, under /metadata/ (the hosts' proxies relay there; not in the catalog)."""
from django.urls import path

from .views import metadata_view

urlpatterns = [
    path("", metadata_view),
    path("<path:path>", metadata_view),
]
