import uuid

from django.db import models


class Image(models.Model):
    """Glance image metadata. Image data upload arrives with the clients issue."""

    STATUSES = [(s, s) for s in ("queued", "saving", "active", "killed", "deleted", "deactivated")]
    VISIBILITIES = [(v, v) for v in ("public", "private", "shared", "community")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=16, choices=STATUSES, default="queued")
    visibility = models.CharField(max_length=16, choices=VISIBILITIES, default="public")
    owner = models.ForeignKey("identity.Project", null=True, blank=True, on_delete=models.SET_NULL)
    disk_format = models.CharField(max_length=16, blank=True, default="qcow2")
    container_format = models.CharField(max_length=16, blank=True, default="bare")
    size = models.BigIntegerField(null=True, blank=True)
    checksum = models.CharField(max_length=64, null=True, blank=True)
    min_disk = models.PositiveIntegerField(default=0)
    min_ram = models.PositiveIntegerField(default=0)
    protected = models.BooleanField(default=False)
    properties = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name or self.id}"
