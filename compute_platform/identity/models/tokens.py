import hashlib

from django.conf import settings
from django.db import models

from .projects import _hex_uuid
from .roles import RoleAssignment


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


class Token(models.Model):
    """An issued token. Only its SHA-256 is stored, so a database leak does not leak live tokens."""

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens")
    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="tokens")
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
