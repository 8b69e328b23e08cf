import uuid

from django.db import models


class Network(models.Model):
    """A Neutron network: an L2 segment (one Linux bridge per host in the data plane)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey("identity.Project", on_delete=models.PROTECT, related_name="networks")
    name = models.CharField(max_length=255, blank=True, default="")
    description = models.CharField(max_length=255, blank=True, default="")
    admin_state_up = models.BooleanField(default=True)
    shared = models.BooleanField(default=False)
    # router:external: floating IPs come from its subnets; every project may see it.
    external = models.BooleanField(default=False)
    mtu = models.PositiveIntegerField(default=1500)
    status = models.CharField(max_length=16, default="ACTIVE")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name or str(self.id)


class Subnet(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey("identity.Project", on_delete=models.PROTECT, related_name="subnets")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="subnets")
    name = models.CharField(max_length=255, blank=True, default="")
    description = models.CharField(max_length=255, blank=True, default="")
    ip_version = models.PositiveSmallIntegerField(default=4)
    cidr = models.CharField(max_length=64)
    gateway_ip = models.CharField(max_length=64, null=True, blank=True)
    # [{"start": ip, "end": ip}, ...]: the addresses ports are given (the gateway never is).
    allocation_pools = models.JSONField(default=list)
    dns_nameservers = models.JSONField(default=list, blank=True)
    host_routes = models.JSONField(default=list, blank=True)
    enable_dhcp = models.BooleanField(default=True)
    ipv6_ra_mode = models.CharField(max_length=32, null=True, blank=True)
    ipv6_address_mode = models.CharField(max_length=32, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.name or self.id} ({self.cidr})"
