from django.db import models


class InstanceTag(models.Model):
    """A server tag (microversion 2.26): a string of up to 60 characters without ',' or '/', at most 50 per
    server, unique per server."""

    MAX_LENGTH, MAX_PER_SERVER = 60, 50

    instance = models.ForeignKey("compute.Instance", on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(max_length=MAX_LENGTH)

    class Meta:
        ordering = ["instance_id", "tag"]
        constraints = [models.UniqueConstraint(fields=["instance", "tag"], name="compute_instance_tag_unique")]

    def __str__(self):
        return f"{self.tag} on {self.instance_id}"
