from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.compute.versions import ComputeVersionsView
from api.identity.views import VersionsView as IdentityVersionsView
from api.image.views import VersionsChoicesView as ImageVersionsView
from api.network.versions import NetworkVersionsView
from api.root import RootView
from api.volume.versions import VolumeVersionsView

urlpatterns = [
    path("", RootView.as_view()),
    # The operator console first: its overview replaces the admin index (console/urls.py).
    path("admin/", include("compute_platform.console.urls")),
    path("admin/", admin.site.urls),
    # Service roots without the slash, as catalog URLs are written: keystoneauth discovers from them.
    path("identity", IdentityVersionsView.as_view()),
    path("compute", ComputeVersionsView.as_view()),
    path("image", ImageVersionsView.as_view()),
    path("volume", VolumeVersionsView.as_view()),
    path("network", NetworkVersionsView.as_view()),
    path("identity/", include("api.identity.urls")),
    path("compute/", include("api.compute.urls")),
    path("image/", include("api.image.urls")),
    path("volume/", include("api.volume.urls")),
    path("network/", include("api.network.urls")),
    path("api/v1/", include("api.admin_v1.urls")),
    # the metadata service (169.254.169.254 through each network's proxy): no token, not in the catalog
    path("metadata", include("api.metadata.urls")),
    path("metadata/", include("api.metadata.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

# Django's own error pages (outside DRF) in the OpenStack JSON shapes too.
handler400 = "api.common.errors.json_400"
handler403 = "api.common.errors.json_403"
handler404 = "api.common.errors.json_404"
handler500 = "api.common.errors.json_500"
