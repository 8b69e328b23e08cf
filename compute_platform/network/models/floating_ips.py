import uuid

from django.db import models


class FloatingIP(models.Model):
    """An address of an external network (held by a port of its own, as Neutron does) that may be
    associated with a fixed IP of a project's port."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey("identity.Project", on_delete=models.PROTECT, related_name="floating_ips")
    floating_network = models.ForeignKey("network.Network", on_delete=models.PROTECT, related_name="floating_ips")
    floating_port = models.OneToOneField("network.Port", on_delete=models.PROTECT, related_name="floating_ip_held")
    floating_ip_address = models.CharField(max_length=64)
    port = models.ForeignKey("network.Port", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="floating_ips")
    fixed_ip_address = models.CharField(max_length=64, null=True, blank=True)
    description = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=16, default="DOWN")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.floating_ip_address
