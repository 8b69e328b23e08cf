from django.db import models


class Export(models.Model):
    """An NFS export (or, for local use and tests, a directory bind-mounted in its place) that holds
    volume files. Every host that attaches one of its volumes mounts it under its own mount base."""

    FSTYPES = [("nfs", "nfs"), ("bind", "bind")]

    name = models.CharField(max_length=255, unique=True)
    # `server:/path` for nfs, an absolute directory for bind; os-brick names the mount point after it.
    share = models.CharField(max_length=1024, unique=True)
    fstype = models.CharField(max_length=8, choices=FSTYPES, default="nfs")
    mount_options = models.CharField(max_length=1024, blank=True, default="")
    # A disabled export takes no new volumes; existing ones stay attachable.
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.share})"
