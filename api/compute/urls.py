from django.urls import path

from . import flavors, hosts, instance_actions, limits, server_actions, servers, versions

# Nova serves both /v2.1/... and the legacy /v2.1/{project_id}/...; clients use either.
routes = [
    ("servers", servers.ServerListView),
    ("servers/detail", servers.ServerDetailListView),
    ("servers/<str:server_id>", servers.ServerView),
    ("servers/<str:server_id>/action", server_actions.ServerActionView),
    ("servers/<str:server_id>/os-instance-actions", instance_actions.InstanceActionListView),
    ("servers/<str:server_id>/os-instance-actions/<str:request_id>", instance_actions.InstanceActionView),
    ("flavors", flavors.FlavorListView),
    ("flavors/detail", flavors.FlavorDetailListView),
    ("flavors/<str:flavor_id>", flavors.FlavorView),
    ("os-hypervisors", hosts.HypervisorListView),
    ("os-hypervisors/detail", hosts.HypervisorDetailListView),
    ("os-hypervisors/statistics", hosts.HypervisorStatisticsView),
    ("os-hypervisors/<str:hypervisor_id>", hosts.HypervisorView),
    ("os-services", hosts.ServiceListView),
    ("os-services/<str:verb>", hosts.ServiceToggleView),
    ("os-availability-zone", hosts.AvailabilityZoneView),
    ("os-availability-zone/detail", hosts.AvailabilityZoneDetailView),
    ("limits", limits.LimitsView),
]

urlpatterns = [
    path("", versions.ComputeVersionsView.as_view()),
    path("v2.1", versions.ComputeVersionView.as_view()),
    path("v2.1/", versions.ComputeVersionView.as_view()),
]
for route, view in routes:
    urlpatterns.append(path(f"v2.1/{route}", view.as_view()))
    urlpatterns.append(path(f"v2.1/<str:project_id>/{route}", view.as_view()))
