import uuid

from django.conf import settings
from django.db import models


class VolumeStatus:
    CREATING = "creating"
    DOWNLOADING = "downloading"  # being made from an image (Cinder's name for it)
    AVAILABLE = "available"
    ATTACHING = "attaching"
    IN_USE = "in-use"
    DETACHING = "detaching"
    DELETING = "deleting"
    ERROR = "error"
    ERROR_DELETING = "error_deleting"
    # The file is gone; the row stays (as Cinder soft-deletes) so action logs and attachments keep their volume.
    DELETED = "deleted"
    ALL = (CREATING, DOWNLOADING, AVAILABLE, ATTACHING, IN_USE, DETACHING, DELETING, ERROR, ERROR_DELETING, DELETED)
    # Statuses whose attachments decide the status (see services.volumes.volume_status_refresh).
    ATTACHMENT_DRIVEN = (AVAILABLE, ATTACHING, IN_USE, DETACHING)
    DELETABLE = (AVAILABLE, ERROR, ERROR_DELETING)
    # The volume service is making the file (blank, or from an image).
    MAKING = (CREATING, DOWNLOADING)


def volume_file_name(volume_id) -> str:
    # Cinder's NFS driver names the file after the volume id; operators recognise it on the export.
    return f"volume-{volume_id}"


class Volume(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255, blank=True, default="")
    description = models.CharField(max_length=255, blank=True, default="")
    project = models.ForeignKey("identity.Project", on_delete=models.PROTECT, related_name="volumes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="volumes")
    export = models.ForeignKey("volumes.Export", on_delete=models.PROTECT, related_name="volumes")
    size = models.PositiveIntegerField(help_text="GiB")
    status = models.CharField(max_length=16, default=VolumeStatus.CREATING, db_index=True,
                              choices=[(s, s) for s in VolumeStatus.ALL])
    multiattach = models.BooleanField(default=False)
    availability_zone = models.CharField(max_length=255, default="nova")
    metadata = models.JSONField(default=dict, blank=True)
    # Boot from volume: a volume made from an image is bootable (Cinder); os-set_bootable changes it.
    bootable = models.BooleanField(default=False)
    # Cinder's volume_image_metadata: the source image's properties, {} for a blank volume.
    image_metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "status"])]

    def __str__(self):
        return f"{self.name or self.id}"

    @property
    def file_name(self) -> str:
        return volume_file_name(self.id)
