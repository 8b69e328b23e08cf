from django.db import models


class LiveFlavorManager(models.Manager):
    """Flavor.objects: the flavors that exist for the API (a deleted one still backs its instances)."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class Flavor(models.Model):
    # Nova flavor ids are strings chosen by the admin ("1", "m1.small", a uuid...); unique among live flavors.
    flavorid = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
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
    # Set when an admin deleted the flavor while instances or migrations still refer to it: Nova embeds a
    # copy of the flavor in each instance, so they keep it (and a resize can revert to it); nothing else sees it.
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = LiveFlavorManager()
    all_objects = models.Manager()  # the related managers (instance.flavor) use the base manager: all rows

    class Meta:
        ordering = ["memory_mb", "flavorid"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(fields=["flavorid"], condition=models.Q(deleted_at__isnull=True),
                                    name="flavor_flavorid_live_unique"),
            models.UniqueConstraint(fields=["name"], condition=models.Q(deleted_at__isnull=True),
                                    name="flavor_name_live_unique"),
        ]

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
