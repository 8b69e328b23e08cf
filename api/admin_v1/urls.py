from django.urls import path

from . import exports, mounts

urlpatterns = [
    path("exports", exports.ExportListView.as_view()),
    path("exports/<str:export_id>", exports.ExportView.as_view()),
    path("hosts/<str:host>/mounts", mounts.HostMountsView.as_view()),
    path("hosts/<str:host>/mounts/audit", mounts.HostMountAuditView.as_view()),
]
