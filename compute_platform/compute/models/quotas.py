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
