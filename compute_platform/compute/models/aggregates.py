import uuid

from django.db import models

AZ_KEY = "availability_zone"


class Aggregate(models.Model):
    """A host aggregate (Nova's os-aggregates): a named set of hosts with metadata. The `availability_zone`
    metadata key makes it an availability zone: its hosts' `Host.availability_zone` follows it (services/
    aggregates.py keeps that column in step, in the same transaction), which the scheduler filters on."""

    # Nova's aggregate id is an integer in the API; the uuid shows from microversion 2.41.
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255, unique=True)
    metadata = models.JSONField(default=dict, blank=True)
    hosts = models.ManyToManyField("compute.Host", blank=True, related_name="aggregates")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name

    @property
    def availability_zone(self) -> str | None:
        return self.metadata.get(AZ_KEY)
