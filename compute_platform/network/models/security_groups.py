import uuid

from django.db import models
from django.db.models import Q


class SecurityGroup(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey("identity.Project", on_delete=models.PROTECT, related_name="security_groups")
    name = models.CharField(max_length=255, blank=True, default="")
    description = models.CharField(max_length=255, blank=True, default="")
    stateful = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One `default` group per project, even when two first requests create it at once.
            models.UniqueConstraint(fields=["project"], condition=Q(name="default"),
                                    name="network_one_default_security_group"),
        ]

    def __str__(self):
        return f"{self.name} ({self.id})"


class SecurityGroupRule(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey("identity.Project", on_delete=models.PROTECT, related_name="security_group_rules")
    security_group = models.ForeignKey(SecurityGroup, on_delete=models.CASCADE, related_name="rules")
    direction = models.CharField(max_length=8)  # ingress, egress
    ethertype = models.CharField(max_length=8, default="IPv4")
    protocol = models.CharField(max_length=16, null=True, blank=True)
    port_range_min = models.IntegerField(null=True, blank=True)
    port_range_max = models.IntegerField(null=True, blank=True)
    remote_ip_prefix = models.CharField(max_length=64, null=True, blank=True)
    remote_group = models.ForeignKey(SecurityGroup, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="remote_rules")
    description = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.direction} {self.ethertype} {self.protocol or 'any'} ({self.id})"


class GroupSetHolder(models.Model):
    """A compute host that holds a set of a security group's members (a rule of its ports names the group as
    its remote group): the hosts a change of the group's members is pushed to, found by one index read
    however large the group (security_group_push.py). The host adds its row before it first reads the
    group's members, so a change committed after that read finds it; the rows of groups it no longer needs go
    when its worker starts (tasks/network_plane.py), and until then cost it a spare push at most."""

    host = models.CharField(max_length=255)
    security_group = models.ForeignKey(SecurityGroup, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["security_group", "host"], name="network_group_set_holder")]

    def __str__(self):
        return f"{self.host} holds {self.security_group_id}"
