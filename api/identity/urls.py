from django.urls import path

from . import views

urlpatterns = [
    path("", views.VersionsView.as_view()),
    path("v3", views.VersionView.as_view()),
    path("v3/", views.VersionView.as_view()),
    path("v3/auth/tokens", views.TokensView.as_view()),
]
