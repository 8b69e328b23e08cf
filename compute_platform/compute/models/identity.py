"""Keystone's model, reduced: projects in the Default domain, users (Django's), roles per project, tokens."""
import uuid

from django.conf import settings
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


class RoleAssignment(models.Model):
    """A user's role on a project. `admin` sees and manages every project; `member` its own."""

    ADMIN = "admin"
    MEMBER = "member"
    ROLES = [(ADMIN, "admin"), (MEMBER, "member")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=16, choices=ROLES, default=MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project", "role"], name="uniq_role_assignment")]

    def __str__(self):
        return f"{self.user} {self.role} on {self.project}"


class Token(models.Model):
    """An issued token. Only its SHA-256 is stored, so a database leak does not leak live tokens."""

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, null=True, blank=True, related_name="tokens")
    roles = models.JSONField(default=list)
    methods = models.JSONField(default=list)
    audit_id = models.CharField(max_length=32, default=_hex_uuid)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    revoked = models.BooleanField(default=False)

    @property
    def is_admin(self) -> bool:
        return RoleAssignment.ADMIN in self.roles

    def __str__(self):
        return f"token {self.audit_id} for {self.user_id}"
