"""The network pages of the admin console: read-only views of what the network API's services write
(changes go through /network/v2.0 and its services)."""
from django.contrib import admin

from compute_platform.compute.admin.common import ReadOnlyAdminMixin, ReadOnlyInline

from .models import FloatingIP, IPAllocation, Network, NetworkQuota, Port, SecurityGroup, SecurityGroupRule, Subnet


class SubnetInline(ReadOnlyInline, admin.TabularInline):
    model = Subnet
    fields = ("id", "name", "cidr", "gateway_ip", "allocation_pools", "enable_dhcp")
    readonly_fields = fields


class IPAllocationInline(ReadOnlyInline, admin.TabularInline):
    model = IPAllocation
    fields = ("subnet", "ip_address")
    readonly_fields = fields


class RuleInline(ReadOnlyInline, admin.TabularInline):
    model = SecurityGroupRule
    fk_name = "security_group"
    fields = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
              "remote_group")
    readonly_fields = fields


@admin.register(Network)
class NetworkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "id", "project", "shared", "external", "mtu", "status", "created_at")
    list_filter = ("shared", "external")
    search_fields = ("id", "name")
    inlines = (SubnetInline,)


@admin.register(Port)
class PortAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "id", "network", "mac_address", "device_owner", "device_id", "binding_host_id",
                    "status")
    list_filter = ("status", "device_owner")
    list_select_related = ("network",)
    search_fields = ("id", "name", "mac_address", "device_id")
    inlines = (IPAllocationInline,)


@admin.register(SecurityGroup)
class SecurityGroupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "project", "stateful", "created_at")
    search_fields = ("id", "name")
    inlines = (RuleInline,)


@admin.register(FloatingIP)
class FloatingIPAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("floating_ip_address", "id", "project", "floating_network", "port", "fixed_ip_address",
                    "status")
    search_fields = ("id", "floating_ip_address")


@admin.register(Subnet, NetworkQuota)
class PlainAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass
