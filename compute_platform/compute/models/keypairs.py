from django.conf import settings
from django.db import models


class KeyPair(models.Model):
    """A user's SSH public key (or x509 certificate), as Nova's key_pairs: owned per user, not per project."""

    SSH = "ssh"
    X509 = "x509"
    TYPES = [(SSH, "ssh"), (X509, "x509")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="keypairs")
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=8, choices=TYPES, default=SSH)
    fingerprint = models.CharField(max_length=255)
    public_key = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        # The database settles a race between two creates of one name: one wins, the other gets 409.
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="uniq_keypair_user_name")]

    def __str__(self):
        return f"{self.name} ({self.fingerprint})"
