from django.urls import path

from . import grants, resources, views

urlpatterns = [
    path("", views.VersionsView.as_view()),
    path("v3", views.VersionView.as_view()),
    path("v3/", views.VersionView.as_view()),
    path("v3/auth/tokens", views.TokensView.as_view()),
    path("v3/auth/projects", resources.AuthProjectListView.as_view()),
    path("v3/auth/domains", resources.AuthDomainListView.as_view()),
    path("v3/auth/catalog", resources.AuthCatalogView.as_view()),
    path("v3/projects", resources.ProjectListView.as_view()),
    path("v3/projects/<str:project_id>", resources.ProjectView.as_view()),
    path("v3/users", resources.UserListView.as_view()),
    path("v3/users/<str:user_id>", resources.UserView.as_view()),
    path("v3/users/<str:user_id>/projects", resources.UserProjectListView.as_view()),
    path("v3/domains", resources.DomainListView.as_view()),
    path("v3/domains/<str:domain_id>", resources.DomainView.as_view()),
    path("v3/roles", resources.RoleListView.as_view()),
    path("v3/roles/<str:role_id>", resources.RoleView.as_view()),
    path("v3/projects/<str:project_id>/users/<str:user_id>/roles", grants.ProjectUserRoleListView.as_view()),
    path("v3/projects/<str:project_id>/users/<str:user_id>/roles/<str:role_id>",
         grants.ProjectUserRoleView.as_view()),
    path("v3/role_assignments", grants.RoleAssignmentListView.as_view()),
    path("v3/role_inferences", resources.RoleInferenceListView.as_view()),
    path("v3/regions", resources.RegionListView.as_view()),
    path("v3/regions/<str:region_id>", resources.RegionView.as_view()),
]
