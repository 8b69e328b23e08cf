"""GET / : what this endpoint serves, for humans and for version discovery."""
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .common.links import base_url
from .compute.versions import version_v21
from .identity.views import version_v3


class RootView(APIView):
    authentication_classes, permission_classes = [], [AllowAny]

    def get(self, request):
        base = base_url(request)
        return Response({
            "versions": [version_v21(request), version_v3(request)],
            "services": {"identity": f"{base}/identity/v3", "compute": f"{base}/compute/v2.1",
                         "image": f"{base}/image/v2", "admin": f"{base}/admin/", "schema": f"{base}/api/schema/"},
        })
