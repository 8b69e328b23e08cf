from django.db import models

NETWORK_QUOTA_RESOURCES = ("network", "subnet", "port", "security_group", "security_group_rule", "floatingip")


class NetworkQuota(models.Model):
    """A project's override of one network resource's limit (the default is settings.NETWORK_QUOTA_DEFAULTS)."""

    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="network_quotas")
    resource = models.CharField(max_length=32, choices=[(r, r) for r in NETWORK_QUOTA_RESOURCES])
    hard_limit = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "resource"], name="network_quota_unique")]

    def __str__(self):
        return f"{self.project_id} {self.resource}={self.hard_limit}"
