"""Compute version documents (Nova's /compute/ and /compute/v2.1/)."""
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..common.links import base_url

MIN_VERSION, MAX_VERSION = "2.1", "2.1"


def version_v21(request) -> dict:
    return {"id": "v2.1", "status": "CURRENT", "version": MAX_VERSION, "min_version": MIN_VERSION,
            "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": f"{base_url(request)}/compute/v2.1/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.compute+json;version=2.1"}]}


class ComputeVersionsView(APIView):
    authentication_classes, permission_classes = [], [AllowAny]

    def get(self, request):
        return Response({"versions": [version_v21(request)]})


class ComputeVersionView(ComputeVersionsView):
    def get(self, request):
        return Response({"version": version_v21(request)})
