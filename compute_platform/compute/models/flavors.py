from django.db import models


class Flavor(models.Model):
    # Nova flavor ids are strings chosen by the admin ("1", "m1.small", a uuid...).
    flavorid = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=255, unique=True)
    vcpus = models.PositiveIntegerField()
    memory_mb = models.PositiveIntegerField()
    root_gb = models.PositiveIntegerField(default=0)
    ephemeral_gb = models.PositiveIntegerField(default=0)
    swap = models.PositiveIntegerField(default=0)
    rxtx_factor = models.FloatField(default=1.0)
    is_public = models.BooleanField(default=True)
    description = models.TextField(blank=True, null=True)
    extra_specs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["memory_mb", "flavorid"]

    def __str__(self):
        return f"{self.name} ({self.vcpus} vCPU, {self.memory_mb} MB, {self.root_gb} GB)"
