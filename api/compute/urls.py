from django.urls import path

from . import (flavors, hosts, instance_actions, keypairs, limits, quota_sets, server_actions, server_groups,
               server_metadata, server_networking, server_tags, servers, versions, volume_attachments)
from . import remote_consoles
from . import (extensions, flavor_access, flavor_extra_specs, hypervisor_search, os_hosts,  # issue 11, item 4
               images, quota_classes, server_diagnostics, tenant_usage, usage_audit_log)
from . import migrations as migrations_api
from . import aggregates, floating_ips, security_groups, volumes_proxy  # issue 11: proxies
from . import server_password  # issue 11 (singles)

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
    ("flavors/<str:flavor_id>/os-extra_specs", flavor_extra_specs.FlavorExtraSpecsView),
    ("os-hypervisors", hosts.HypervisorListView),
    ("os-hypervisors/detail", hosts.HypervisorDetailListView),
    ("os-hypervisors/statistics", hosts.HypervisorStatisticsView),
    ("os-hypervisors/<str:hypervisor_id>", hosts.HypervisorView),
    ("os-hypervisors/<str:hypervisor_id>/uptime", hosts.HypervisorUptimeView),
    ("os-services", hosts.ServiceListView),
    ("os-services/<str:verb>", hosts.ServiceToggleView),
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
    # remote consoles (the operator console's serial console; Nova 2.6)
    ("servers/<str:server_id>/remote-consoles", remote_consoles.RemoteConsoleView),
    # --- the endpoints of issue 11 (item 4) ---
    ("flavors/<str:flavor_id>/action", flavor_access.FlavorActionView),
    ("flavors/<str:flavor_id>/os-flavor-access", flavor_access.FlavorAccessListView),
    ("flavors/<str:flavor_id>/os-extra_specs/<str:key>", flavor_extra_specs.FlavorExtraSpecView),
    ("extensions", extensions.ExtensionListView),
    ("extensions/<str:alias>", extensions.ExtensionView),
    ("os-hypervisors/<str:hypervisor_id>/search", hypervisor_search.HypervisorSearchView),
    ("os-hypervisors/<str:hypervisor_id>/servers", hypervisor_search.HypervisorServersView),
    ("os-hosts", os_hosts.OsHostListView),
    ("os-hosts/<str:host_name>", os_hosts.OsHostView),
    ("os-hosts/<str:host_name>/<str:action>", os_hosts.OsHostPowerActionView),
    ("os-simple-tenant-usage", tenant_usage.TenantUsageListView),
    ("os-simple-tenant-usage/<str:tenant_id>", tenant_usage.TenantUsageView),
    # Nova spells this one with underscores
    ("os-instance_usage_audit_log", usage_audit_log.UsageAuditLogListView),
    ("os-instance_usage_audit_log/<str:before>", usage_audit_log.UsageAuditLogView),
    ("servers/<str:server_id>/diagnostics", server_diagnostics.ServerDiagnosticsView),
    ("os-quota-class-sets/<str:class_name>", quota_classes.QuotaClassSetView),
    ("images", images.ProxyImageListView),
    ("images/detail", images.ProxyImageDetailListView),
    ("images/<str:image_id>", images.ProxyImageView),
    ("images/<str:image_id>/metadata", images.ProxyImageMetadataView),
    ("images/<str:image_id>/metadata/<str:key>", images.ProxyImageMetadataItemView),
    # networking (the network service seen from compute)
    ("servers/<str:server_id>/ips", server_networking.ServerIpsView),
    ("servers/<str:server_id>/ips/<str:network_label>", server_networking.ServerIpsNetworkView),
    ("servers/<str:server_id>/os-interface", server_networking.InterfaceListView),
    ("servers/<str:server_id>/os-interface/<str:port_id>", server_networking.InterfaceView),
    ("servers/<str:server_id>/os-security-groups", server_networking.ServerSecurityGroupsView),
    ("os-networks", server_networking.OsNetworkListView),
    ("os-networks/<str:network_id>", server_networking.OsNetworkView),
    # moves
    ("os-migrations", migrations_api.MigrationListView),
    ("servers/<str:server_id>/migrations", migrations_api.ServerMigrationListView),
    ("servers/<str:server_id>/migrations/<str:migration_id>", migrations_api.ServerMigrationView),
    ("servers/<str:server_id>/migrations/<str:migration_id>/action", migrations_api.ServerMigrationActionView),
    # --- issue 11: the deprecated proxies (404 from 2.36) and host aggregates ---
    ("os-security-groups", security_groups.SecurityGroupListView),
    ("os-security-groups/<str:group_id>", security_groups.SecurityGroupView),
    ("os-security-group-rules", security_groups.SecurityGroupRuleListView),
    ("os-security-group-rules/<str:rule_id>", security_groups.SecurityGroupRuleView),
    ("os-floating-ips", floating_ips.FloatingIpListView),
    ("os-floating-ips/<str:fip_id>", floating_ips.FloatingIpView),
    ("os-floating-ip-pools", floating_ips.FloatingIpPoolListView),
    ("os-volumes", volumes_proxy.OsVolumeListView),
    ("os-volumes/detail", volumes_proxy.OsVolumeDetailListView),
    ("os-volumes/<str:volume_id>", volumes_proxy.OsVolumeView),
    ("os-tenant-networks", server_networking.TenantNetworkListView),
    ("os-tenant-networks/<str:network_id>", server_networking.TenantNetworkView),
    ("os-aggregates", aggregates.AggregateListView),
    ("os-aggregates/<str:aggregate_id>", aggregates.AggregateView),
    ("os-aggregates/<str:aggregate_id>/action", aggregates.AggregateActionView),
    ("servers/<str:server_id>/os-server-password", server_password.ServerPasswordView),  # issue 11 (singles)
    # --- microversions ---
    ("servers/<str:server_id>/tags", server_tags.ServerTagListView),
    ("servers/<str:server_id>/tags/<str:tag>", server_tags.ServerTagView),
]

urlpatterns = [
    path("", versions.ComputeVersionsView.as_view()),
    path("v2", versions.ComputeV20VersionView.as_view()),
    path("v2/", versions.ComputeV20VersionView.as_view()),
    path("v2.1", versions.ComputeVersionView.as_view()),
    path("v2.1/", versions.ComputeVersionView.as_view()),
]
# Every unprefixed form first: otherwise `extensions/os-hypervisors` would match the legacy form of
# `os-hypervisors` with a project id of `extensions`.
urlpatterns += [path(f"v2.1/{route}", view.as_view()) for route, view in routes]
urlpatterns += [path(f"v2.1/<str:project_id>/{route}", view.as_view()) for route, view in routes]
