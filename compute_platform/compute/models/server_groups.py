import uuid

from django.conf import settings
from django.db import models


class ServerGroup(models.Model):
    """Nova's os-server-groups: a placement policy over its members (instances booted with the `group` hint).

    Members are the instances whose `server_group` points here and that are not deleted. The row is also
    the lock that serializes placement within the group (services/server_groups.py).
    """

    AFFINITY = "affinity"
    ANTI_AFFINITY = "anti-affinity"
    # The soft-* policies (microversion 2.15) are preferences: weighers, not filters (scheduler/weighers.py).
    SOFT_AFFINITY = "soft-affinity"
    SOFT_ANTI_AFFINITY = "soft-anti-affinity"
    POLICIES = [(p, p) for p in (AFFINITY, ANTI_AFFINITY, SOFT_AFFINITY, SOFT_ANTI_AFFINITY)]

    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="server_groups")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="server_groups")
    policy = models.CharField(max_length=32, choices=POLICIES)
    rules = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.name} ({self.policy}, {self.uuid})"
