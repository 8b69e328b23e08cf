import uuid

from django.db import models
from django.db.models import Q


class AttachmentStatus:
    ATTACHING = "attaching"
    ATTACHED = "attached"
    DETACHING = "detaching"
    DETACHED = "detached"
    ERROR = "error"
    ALL = (ATTACHING, ATTACHED, DETACHING, DETACHED, ERROR)
    # Rows a host still needs its export mounted for (the MountManager rebuild reads exactly these).
    LIVE = (ATTACHING, ATTACHED, DETACHING)


class VolumeAttachment(models.Model):
    """One volume plugged into one instance on one host. A row in LIVE status means the host's
    MountManager holds the attachment `(volume_id, instance_uuid)` in the export's set."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    volume = models.ForeignKey("volumes.Volume", on_delete=models.PROTECT, related_name="attachments")
    instance = models.ForeignKey("compute.Instance", on_delete=models.PROTECT, related_name="volume_attachments")
    # The host name at attach time, not a FK: the row must outlive a host's removal for the audit.
    host = models.CharField(max_length=255, db_index=True)
    device = models.CharField(max_length=32)
    status = models.CharField(max_length=16, default=AttachmentStatus.ATTACHING, db_index=True,
                              choices=[(s, s) for s in AttachmentStatus.ALL])
    # The request that started the attach or detach in flight: a worker restart redoes it under that
    # request's action (os-instance-actions), as it does for instance tasks.
    request_id = models.CharField(max_length=64, blank=True, default="")
    tag = models.CharField(max_length=60, null=True, blank=True)  # the device tag (microversion 2.49)
    delete_on_termination = models.BooleanField(default=False)  # delete the volume with the server (2.79)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    detached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # The database, not a read-then-write in Python, stops a double attach of one volume to one
            # server and two volumes on one device name, even under concurrent requests.
            models.UniqueConstraint(fields=["volume", "instance"], condition=Q(status__in=AttachmentStatus.LIVE),
                                    name="volumes_one_live_attachment_per_volume_instance"),
            models.UniqueConstraint(fields=["instance", "device"], condition=Q(status__in=AttachmentStatus.LIVE),
                                    name="volumes_one_live_volume_per_device"),
        ]

    def __str__(self):
        return f"{self.volume_id} on {self.instance_id} ({self.device}, {self.status})"
