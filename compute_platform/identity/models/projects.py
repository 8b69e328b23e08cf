"""Keystone's model, reduced: projects in the Default domain, users (Django's), roles per project, tokens."""
import uuid

from django.db import models


def _hex_uuid() -> str:
    return uuid.uuid4().hex


class ProjectQuerySet(models.QuerySet):
    def live(self):
        """Projects Keystone still knows (a deleted project's row stays for the resources that name it)."""
        return self.filter(deleted_at__isnull=True)


class Project(models.Model):
    # Keystone ids are 32 hex characters; clients pass them back verbatim in URLs.
    id = models.CharField(primary_key=True, max_length=64, default=_hex_uuid, editable=False)
    name = models.CharField(max_length=64)
    description = models.TextField(blank=True, default="")
    domain_id = models.CharField(max_length=64, default="default")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Keystone deletes a project but not the servers, volumes or networks in it (they stay, orphaned, for
    # an admin to clean up), and those rows reference this one: so deleting marks the row instead.
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], condition=models.Q(deleted_at__isnull=True),
                                               name="uniq_live_project_name")]

    def __str__(self):
        return self.name
