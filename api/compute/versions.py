"""Compute version documents (Nova's /compute/ and /compute/v2.1/)."""
from rest_framework.response import Response

from ..common.links import base_url
from ..common.microversions import MAX_VERSION_STRING, MIN_VERSION_STRING
from ..common.views import PublicView
from . import schemas

MIN_VERSION, MAX_VERSION = MIN_VERSION_STRING, MAX_VERSION_STRING  # see api/common/microversions.py


def version_v21(request) -> dict:
    return {"id": "v2.1", "status": "CURRENT", "version": MAX_VERSION, "min_version": MIN_VERSION,
            "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": f"{base_url(request)}/compute/v2.1/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.compute+json;version=2.1"}]}


def version_v20(request) -> dict:
    # Nova still lists the legacy v2.0 API (no microversions) first; only v2.1 is served here.
    return {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "", "updated": "2011-01-21T11:33:21Z",
            "links": [{"rel": "self", "href": f"{base_url(request)}/compute/v2/"}]}


def _listed(version: dict) -> dict:
    # Nova shows media-types only in a single version's document.
    return {k: v for k, v in version.items() if k != "media-types"}


class ComputeVersionsView(PublicView):
    @schemas.versions_list
    def get(self, request):
        return Response({"versions": [version_v20(request), _listed(version_v21(request))]})


class ComputeV20VersionView(ComputeVersionsView):
    """The legacy v2.0 document, so the link in the version list leads somewhere (its API is not served)."""

    @schemas.version_v20_show
    def get(self, request):
        return Response({"version": {**version_v20(request), "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2"}]}})


class ComputeVersionView(ComputeVersionsView):
    @schemas.version_show
    def get(self, request):
        return Response({"version": version_v21(request)})
