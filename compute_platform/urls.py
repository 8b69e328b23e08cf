from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.root import RootView

urlpatterns = [
    path("", RootView.as_view()),
    path("admin/", admin.site.urls),
    path("identity/", include("api.identity.urls")),
    path("compute/", include("api.compute.urls")),
    path("image/", include("api.image.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

handler404 = "api.common.errors.json_404"
handler500 = "api.common.errors.json_500"
