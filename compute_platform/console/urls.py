"""Mounted at /admin/ ahead of the admin site: `""` replaces its index with the overview."""
from django.contrib import admin
from django.urls import path

from . import views_launch, views_overview, views_serial

app_name = "console"
view = admin.site.admin_view  # staff login required, as for every admin page

urlpatterns = [
    path("", view(views_overview.overview), name="overview"),
    path("console/overview/panels/", view(views_overview.overview_panels), name="overview_panels"),
    path("console/hosts/<str:host_name>/<str:verb>/", view(views_overview.host_toggle), name="host_toggle"),
    path("console/launch/", view(views_launch.launch), name="launch"),
    path("console/servers/<str:instance_uuid>/serial/", view(views_serial.serial_console), name="serial"),
]
