"""GET / : what this endpoint serves, for humans and for version discovery."""
from rest_framework.response import Response

from .common import schemas
from .common.links import base_url
from .common.views import PublicView
from .compute.versions import version_v21
from .identity.views import version_v3


class RootView(PublicView):
    @schemas.root
    def get(self, request):
        base = base_url(request)
        return Response({
            "versions": [version_v21(request), version_v3(request)],
            "services": {"identity": f"{base}/identity/v3", "compute": f"{base}/compute/v2.1",
                         "image": f"{base}/image/v2", "admin": f"{base}/admin/", "schema": f"{base}/api/schema/"},
        })
