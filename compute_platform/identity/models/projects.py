"""Keystone's model, reduced: projects in the Default domain, users (Django's), roles per project, tokens."""
import uuid

from django.db import models


def _hex_uuid() -> str:
    return uuid.uuid4().hex


class Project(models.Model):
    # Keystone ids are 32 hex characters; clients pass them back verbatim in URLs.
    id = models.CharField(primary_key=True, max_length=64, default=_hex_uuid, editable=False)
    name = models.CharField(max_length=64, unique=True)
    description = models.TextField(blank=True, default="")
    domain_id = models.CharField(max_length=64, default="default")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
