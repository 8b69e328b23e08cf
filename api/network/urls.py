from django.urls import path

from compute_platform.network.selectors import TAGGED_RESOURCES

from . import schemas, versions
from .resources import RESOURCES
from .tags import TagsView, TagView
from .views import NetworkCollectionView, NetworkItemView

# OpenStackView drops a `project_id` URL argument (the legacy compute form), so the quota views take theirs
# as `project_id_`.
urlpatterns = [
    path("", versions.NetworkVersionsView.as_view()),
    path("v2.0", versions.NetworkVersionView.as_view()),
    path("v2.0/", versions.NetworkVersionView.as_view()),
    path("v2.0/extensions", versions.ExtensionsView.as_view()),
    path("v2.0/extensions/<str:alias>", versions.ExtensionView.as_view()),
    path("v2.0/agents", versions.AgentsView.as_view()),
    path("v2.0/quotas", versions.QuotaListView.as_view()),
    path("v2.0/quotas/<str:project_id_>", versions.QuotaView.as_view()),
    path("v2.0/quotas/<str:project_id_>/default", versions.QuotaDefaultsView.as_view()),
    path("v2.0/quotas/<str:project_id_>/details", versions.QuotaDetailsView.as_view()),
]
for resource in RESOURCES.values():
    urlpatterns += [
        path(f"v2.0/{resource.path}", schemas.documented(NetworkCollectionView, resource, item=False).as_view()),
        path(f"v2.0/{resource.path}/<str:resource_id>",
             schemas.documented(NetworkItemView, resource, item=True).as_view()),
    ]
    if resource.path in TAGGED_RESOURCES:  # Neutron's standard-attr-tag
        urlpatterns += [
            path(f"v2.0/{resource.path}/<str:resource_id>/tags",
                 schemas.documented_tags(TagsView, resource, item=False).as_view()),
            path(f"v2.0/{resource.path}/<str:resource_id>/tags/<str:tag>",
                 schemas.documented_tags(TagView, resource, item=True).as_view()),
        ]
