from django.urls import path

from . import views
from .image_tasks import ImageTasksView

urlpatterns = [
    path("", views.VersionsChoicesView.as_view()),
    path("v2", views.VersionsView.as_view()),
    path("v2/", views.VersionsView.as_view()),
    path("v2/images", views.ImageListView.as_view()),
    path("v2/images/<str:image_id>", views.ImageView.as_view()),
    path("v2/images/<str:image_id>/file", views.ImageFileView.as_view()),
    path("v2/images/<str:image_id>/tasks", ImageTasksView.as_view()),
]
