"""Neutron's tags (standard-attr-tag) on networks, subnets, ports, security groups and floating IPs: strings
of up to 255 characters, unique per resource.

One table per resource rather than one generic (type, id, tag) table: a foreign key removes a resource's tags
with it in whatever way it goes (a network's subnets go with it, a server's ports with the server), and the
database refuses a tag on nothing."""
from django.db import models

MAX_TAG_LENGTH = 255


class _Tag(models.Model):
    tag = models.CharField(max_length=MAX_TAG_LENGTH)

    class Meta:
        abstract = True
        ordering = ["resource_id", "tag"]


def _unique(name: str):
    return [models.UniqueConstraint(fields=["resource", "tag"], name=f"network_{name}_tag_unique")]


class NetworkTag(_Tag):
    resource = models.ForeignKey("network.Network", on_delete=models.CASCADE, related_name="tags")

    class Meta(_Tag.Meta):
        constraints = _unique("network")


class SubnetTag(_Tag):
    resource = models.ForeignKey("network.Subnet", on_delete=models.CASCADE, related_name="tags")

    class Meta(_Tag.Meta):
        constraints = _unique("subnet")


class PortTag(_Tag):
    resource = models.ForeignKey("network.Port", on_delete=models.CASCADE, related_name="tags")

    class Meta(_Tag.Meta):
        constraints = _unique("port")


class SecurityGroupTag(_Tag):
    resource = models.ForeignKey("network.SecurityGroup", on_delete=models.CASCADE, related_name="tags")

    class Meta(_Tag.Meta):
        constraints = _unique("security_group")


class FloatingIPTag(_Tag):
    resource = models.ForeignKey("network.FloatingIP", on_delete=models.CASCADE, related_name="tags")

    class Meta(_Tag.Meta):
        constraints = _unique("floatingip")
