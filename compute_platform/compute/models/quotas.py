from django.db import models

# Nova's quota resources, in the order os-quota-sets shows them.
QUOTA_RESOURCES = ("instances", "cores", "ram", "key_pairs", "metadata_items", "server_groups",
                   "server_group_members", "injected_files", "injected_file_content_bytes",
                   "injected_file_path_bytes")


class ProjectQuota(models.Model):
    """A project's quota overrides; a null column means the default (settings.QUOTA_DEFAULTS).

    One row per project, so os-quota-sets reads it in one query and the boot path reads it together
    with the lock it takes on the project row (services/quotas.py).
    """

    project = models.OneToOneField("identity.Project", primary_key=True, on_delete=models.CASCADE,
                                   related_name="quota")
    instances = models.IntegerField(null=True, blank=True)
    cores = models.IntegerField(null=True, blank=True)
    ram = models.IntegerField(null=True, blank=True)
    key_pairs = models.IntegerField(null=True, blank=True)
    metadata_items = models.IntegerField(null=True, blank=True)
    server_groups = models.IntegerField(null=True, blank=True)
    server_group_members = models.IntegerField(null=True, blank=True)
    injected_files = models.IntegerField(null=True, blank=True)
    injected_file_content_bytes = models.IntegerField(null=True, blank=True)
    injected_file_path_bytes = models.IntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "project quota"

    def __str__(self):
        return f"quotas of {self.project_id}"

    def overrides(self) -> dict:
        return {r: getattr(self, r) for r in QUOTA_RESOURCES if getattr(self, r) is not None}


class UserQuota(models.Model):
    """A user's quota overrides within a project (`os-quota-sets/{project}?user_id=`): {resource: limit}.
    A resource without one falls back to the project's limit, as Nova's user quotas do."""

    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="user_quotas")
    user_id = models.CharField(max_length=255)
    limits = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user_id"], name="user_quota_unique")]

    def __str__(self):
        return f"quotas of user {self.user_id} in {self.project_id}"


class QuotaClass(models.Model):
    """A named set of limits (`os-quota-class-sets/{name}`): {resource: limit}. The class `default`
    overrides the settings' defaults for every project, as Nova's default quota class does."""

    name = models.CharField(max_length=255, primary_key=True)
    limits = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "quota classes"

    def __str__(self):
        return f"quota class {self.name}"
