"""Cinder's JSON shapes for volumes, built as plain dicts."""
from django.conf import settings

from ..common.links import base_url
from ..common.timefmt import iso_usec


class VolumeViewBuilder:
    def __init__(self, request, context):
        self.base = base_url(request)
        self.is_admin = context.is_admin

    def links(self, volume) -> list[dict]:
        return [{"rel": "self", "href": f"{self.base}/volume/v3/{volume.project_id}/volumes/{volume.id}"},
                {"rel": "bookmark", "href": f"{self.base}/volume/{volume.project_id}/volumes/{volume.id}"}]

    def basic(self, volume) -> dict:
        return {"id": str(volume.id), "name": volume.name or None, "links": self.links(volume)}

    def attachment(self, att) -> dict:
        # Cinder's attachment summary: `id` is the volume's id, `attachment_id` the attachment's.
        return {"id": str(att.volume_id), "attachment_id": str(att.id), "volume_id": str(att.volume_id),
                "server_id": str(att.instance.uuid), "host_name": att.host if self.is_admin else None,
                "device": att.device, "attached_at": iso_usec(att.created_at)}

    # Cinder adds these through API extensions on show and list only: its create answer has none of them.
    EXTENSION_KEYS = ("os-vol-tenant-attr:tenant_id", "os-vol-host-attr:host", "volume_image_metadata")

    def created(self, volume) -> dict:
        body = self.detail(volume)
        for key in self.EXTENSION_KEYS:
            body.pop(key, None)
        return body

    def detail(self, volume) -> dict:
        body = {
            "id": str(volume.id),
            "name": volume.name or None,
            "description": volume.description or None,
            "status": volume.status,
            "size": volume.size,
            "availability_zone": volume.availability_zone,
            "created_at": iso_usec(volume.created_at),
            "updated_at": iso_usec(volume.updated_at),
            "attachments": [self.attachment(a) for a in getattr(volume, "shown_attachments", [])],
            "bootable": "true" if volume.bootable else "false",
            "encrypted": False,
            "multiattach": volume.multiattach,
            "metadata": volume.metadata or {},
            "links": self.links(volume),
            "user_id": str(volume.user_id),
            "os-vol-tenant-attr:tenant_id": volume.project_id,
            "volume_type": "__DEFAULT__",
            "snapshot_id": None,
            "source_volid": None,
            "replication_status": None,
            "consistencygroup_id": None,
            "group_id": None,
        }
        if volume.image_metadata:
            body["volume_image_metadata"] = dict(volume.image_metadata)
        if self.is_admin:
            # Cinder's host@backend#pool: the volume service, the NFS backend, the export as the pool.
            body["os-vol-host-attr:host"] = f"{settings.VOLUME_SERVICE_HOST}@nfs#{volume.export.name}"
            body["migration_status"] = None
        return body
