import uuid

from django.db import models

# The DHCP server's own port on a network (services/dhcp_ports.py), as Neutron names its owner.
DHCP_OWNER = "network:dhcp"


class Port(models.Model):
    """A Neutron port: a MAC and fixed IPs on a network, owned by a device (a server, a floating IP)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey("identity.Project", on_delete=models.PROTECT, related_name="ports")
    network = models.ForeignKey("network.Network", on_delete=models.PROTECT, related_name="ports")
    name = models.CharField(max_length=255, blank=True, default="")
    description = models.CharField(max_length=255, blank=True, default="")
    mac_address = models.CharField(max_length=17)
    admin_state_up = models.BooleanField(default=True)
    status = models.CharField(max_length=16, default="DOWN")
    device_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    device_owner = models.CharField(max_length=255, blank=True, default="")
    binding_host_id = models.CharField(max_length=255, blank=True, default="")
    port_security_enabled = models.BooleanField(default=True)
    security_groups = models.ManyToManyField("network.SecurityGroup", related_name="ports", blank=True)
    # Nova's `preserve_on_delete` inverted: a port the compute service made for a server goes with it; a
    # port the user made and passed in is only unbound.
    created_for_device = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # The database, not a read-then-write, keeps two ports of a network off one MAC.
            models.UniqueConstraint(fields=["network", "mac_address"], name="network_port_mac_unique"),
        ]
        # A network's DHCP port found without reading its other ports (every build reads its subnets' DHCP server).
        indexes = [models.Index(fields=["network", "device_owner"], name="network_port_owner")]

    def __str__(self):
        return self.name or str(self.id)


class IPAllocation(models.Model):
    """One address of a subnet held by one port. The unique (subnet, ip_address) constraint is what makes
    allocation atomic: two concurrent creates that pick one address cannot both insert it."""

    port = models.ForeignKey(Port, on_delete=models.CASCADE, related_name="fixed_ips")
    subnet = models.ForeignKey("network.Subnet", on_delete=models.PROTECT, related_name="allocations")
    ip_address = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["subnet", "ip_address"], name="network_ip_unique_per_subnet")]

    def __str__(self):
        return f"{self.ip_address} ({self.port_id})"
