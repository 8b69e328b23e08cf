from django.urls import path

from . import (flavors, hosts, instance_actions, keypairs, limits, quota_sets, server_actions, server_groups,
               server_metadata, server_tags, servers, versions, volume_attachments)

# Nova serves both /v2.1/... and the legacy /v2.1/{project_id}/...; clients use either.
routes = [
    ("servers", servers.ServerListView),
    ("servers/detail", servers.ServerDetailListView),
    ("servers/<str:server_id>", servers.ServerView),
    ("servers/<str:server_id>/action", server_actions.ServerActionView),
    ("servers/<str:server_id>/os-instance-actions", instance_actions.InstanceActionListView),
    ("servers/<str:server_id>/os-instance-actions/<str:request_id>", instance_actions.InstanceActionView),
    ("servers/<str:server_id>/os-volume_attachments", volume_attachments.VolumeAttachmentListView),
    ("servers/<str:server_id>/os-volume_attachments/<str:volume_id>", volume_attachments.VolumeAttachmentView),
    ("flavors", flavors.FlavorListView),
    ("flavors/detail", flavors.FlavorDetailListView),
    ("flavors/<str:flavor_id>", flavors.FlavorView),
    ("flavors/<str:flavor_id>/os-extra_specs", flavors.FlavorExtraSpecsView),
    ("os-hypervisors", hosts.HypervisorListView),
    ("os-hypervisors/detail", hosts.HypervisorDetailListView),
    ("os-hypervisors/statistics", hosts.HypervisorStatisticsView),
    ("os-hypervisors/<str:hypervisor_id>", hosts.HypervisorView),
    ("os-hypervisors/<str:hypervisor_id>/uptime", hosts.HypervisorUptimeView),
    ("os-services", hosts.ServiceListView),
    ("os-services/<str:verb>", hosts.ServiceToggleView),
    ("os-aggregates", hosts.AggregateListView),
    ("os-availability-zone", hosts.AvailabilityZoneView),
    ("os-availability-zone/detail", hosts.AvailabilityZoneDetailView),
    ("limits", limits.LimitsView),
    ("servers/<str:server_id>/metadata", server_metadata.ServerMetadataView),
    ("servers/<str:server_id>/metadata/<str:key>", server_metadata.ServerMetadataItemView),
    ("os-keypairs", keypairs.KeypairListView),
    ("os-keypairs/<str:keypair_name>", keypairs.KeypairView),
    ("os-server-groups", server_groups.ServerGroupListView),
    ("os-server-groups/<str:group_id>", server_groups.ServerGroupView),
    ("os-quota-sets/<str:tenant_id>", quota_sets.QuotaSetShowView),
    ("os-quota-sets/<str:tenant_id>/defaults", quota_sets.QuotaSetDefaultsView),
    ("os-quota-sets/<str:tenant_id>/detail", quota_sets.QuotaSetDetailView),
    # --- microversions ---
    ("servers/<str:server_id>/tags", server_tags.ServerTagListView),
    ("servers/<str:server_id>/tags/<str:tag>", server_tags.ServerTagView),
]

urlpatterns = [
    path("", versions.ComputeVersionsView.as_view()),
    path("v2.1", versions.ComputeVersionView.as_view()),
    path("v2.1/", versions.ComputeVersionView.as_view()),
]
for route, view in routes:
    urlpatterns.append(path(f"v2.1/{route}", view.as_view()))
    urlpatterns.append(path(f"v2.1/<str:project_id>/{route}", view.as_view()))
