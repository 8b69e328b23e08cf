from django.urls import path

from . import actions, versions, views

# Cinder v3 carries the project in the path (the catalog says /volume/v3/{project_id}); the token decides.
urlpatterns = [
    path("", versions.VolumeVersionsView.as_view()),
    path("v3/", versions.VolumeVersionView.as_view()),
    path("v3/<str:project_id>/", versions.VolumeVersionView.as_view()),
    path("v3/<str:project_id>/limits", versions.VolumeLimitsView.as_view()),
    path("v3/<str:project_id>/volumes", views.VolumeListView.as_view()),
    path("v3/<str:project_id>/volumes/detail", views.VolumeDetailListView.as_view()),
    path("v3/<str:project_id>/volumes/<str:volume_id>", views.VolumeView.as_view()),
    path("v3/<str:project_id>/volumes/<str:volume_id>/action", actions.VolumeActionView.as_view()),
]
