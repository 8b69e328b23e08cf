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


class FlavorAccess(models.Model):
    """A project allowed to see and boot a private flavor (Nova's flavor_projects)."""

    flavor = models.ForeignKey(Flavor, on_delete=models.CASCADE, related_name="access")
    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="flavor_access")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flavor", "project"], name="flavor_access_unique")]
        ordering = ["flavor_id", "project_id"]

    def __str__(self):
        return f"{self.project_id} may use {self.flavor_id}"
