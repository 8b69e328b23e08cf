"""Reads of the block-storage domain, scoped to what the caller may see."""
import uuid as uuidlib

from django.db.models import Count, F, OuterRef, Prefetch, Q
from django.db.models.functions import JSONObject

from compute_platform.compute.exceptions import NotFound
from compute_platform.compute.rows_json import RowsJson
from compute_platform.compute.selectors import UuidText

from .models import Export, Volume, VolumeAttachment
from .models.attachments import AttachmentStatus
from .models.volumes import VolumeStatus
from .services.boot_volumes import ROOT_DEVICE

# Attachments a volume body lists (Cinder shows an attachment once the host has it, until it is gone).
SHOWN_ATTACHMENT_STATUSES = (AttachmentStatus.ATTACHED, AttachmentStatus.DETACHING)


def _is_uuid(value) -> bool:
    try:
        uuidlib.UUID(str(value))
        return True
    except ValueError:
        return False


def _with_attachments(qs):
    return qs.select_related("export").prefetch_related(Prefetch(
        "attachments", to_attr="shown_attachments",
        queryset=VolumeAttachment.objects.select_related("instance").filter(status__in=SHOWN_ATTACHMENT_STATUSES)))


def volume_get(*, context, volume_id, for_update: bool = False) -> Volume:
    """The volume, or 404 when it does not exist, is deleted, or belongs to a project the caller cannot see."""
    missing = NotFound(f"Volume {volume_id} could not be found.")
    if not _is_uuid(volume_id):
        raise missing
    qs = Volume.objects.filter(id=volume_id).exclude(status=VolumeStatus.DELETED)
    if not context.is_admin:
        qs = qs.filter(project_id=context.project_id)
    qs = qs.select_for_update() if for_update else _with_attachments(qs)
    volume = qs.first()
    if volume is None:
        raise missing
    return volume


def volume_list(*, context, all_tenants: bool = False, filters: dict | None = None, limit: int | None = None,
                marker: str | None = None) -> list[Volume]:
    """Newest first, with their shown attachments prefetched (a constant number of queries)."""
    from compute_platform.compute.exceptions import BadRequest

    qs = Volume.objects.exclude(status=VolumeStatus.DELETED)
    if not (context.is_admin and all_tenants):
        qs = qs.filter(project_id=context.project_id)
    for key in ("name", "status"):
        if (filters or {}).get(key):
            qs = qs.filter(**{key: filters[key]})
    if marker:
        anchor = Volume.objects.filter(id=marker).values("created_at", "id").first() if _is_uuid(marker) else None
        if anchor is None:
            raise BadRequest(f"marker [{marker}] not found")
        qs = qs.filter(Q(created_at__lt=anchor["created_at"]) | Q(created_at=anchor["created_at"], id__lt=anchor["id"]))
    qs = _with_attachments(qs.order_by("-created_at", "-id"))
    return list(qs[:limit] if limit is not None else qs)


def attachment_list_for_instance(*, instance) -> list[VolumeAttachment]:
    """The instance's live attachments (what `os-volume_attachments` lists), by device."""
    return list(VolumeAttachment.objects.filter(instance=instance, status__in=AttachmentStatus.LIVE)
                .select_related("volume").order_by("device"))


def attachment_get_for_instance(*, instance, volume_id) -> VolumeAttachment:
    missing = NotFound(f"Volume {volume_id} is not attached to server {instance.uuid}.")
    if not _is_uuid(volume_id):
        raise missing
    att = (VolumeAttachment.objects.filter(instance=instance, volume_id=volume_id, status__in=AttachmentStatus.LIVE)
           .select_related("volume").first())
    if att is None:
        raise missing
    return att


def export_list() -> list[Export]:
    return list(Export.objects.annotate(
        volume_count=Count("volumes", filter=~Q(volumes__status=VolumeStatus.DELETED))).order_by("name"))


def export_get(*, export_id) -> Export:
    export = Export.objects.annotate(
        volume_count=Count("volumes", filter=~Q(volumes__status=VolumeStatus.DELETED))).filter(
        pk=export_id if str(export_id).isdigit() else None).first()
    if export is None:
        raise NotFound(f"Export {export_id} could not be found.")
    return export


def host_live_attachment_keys(*, host: str) -> dict[str, set[str]]:
    """{export id: {attachment key}} of the host's LIVE attachments: what its MountManager must hold."""
    from hypervisors.volumes import attachment_key

    needed: dict[str, set[str]] = {}
    rows = VolumeAttachment.objects.filter(host=host, status__in=AttachmentStatus.LIVE).values_list(
        "volume__export_id", "volume_id", "instance__uuid")
    for export_id, volume_id, instance_uuid in rows:
        needed.setdefault(str(export_id), set()).add(attachment_key(str(volume_id), str(instance_uuid)))
    return needed


def host_moving_attachment_keys(*, host: str) -> dict[str, set[str]]:
    """{export id: {attachment key}} of the LIVE attachments of instances with an open move from or to the
    host (whichever host the rows name): a move needs its volumes mounted on both sides."""
    from compute_platform.compute.selectors_migrations import moving_instance_uuids
    from hypervisors.volumes import attachment_key

    moving = moving_instance_uuids(host=host)
    needed: dict[str, set[str]] = {}
    if not moving:
        return needed
    rows = VolumeAttachment.objects.filter(instance__uuid__in=moving, status__in=AttachmentStatus.LIVE).values_list(
        "volume__export_id", "volume_id", "instance__uuid")
    for export_id, volume_id, instance_uuid in rows:
        needed.setdefault(str(export_id), set()).add(attachment_key(str(volume_id), str(instance_uuid)))
    return needed


def host_live_attachments_by_export(*, host: str) -> dict[str, list[dict]]:
    """{export id: [{attachment id, volume, instance, device, status}]} for the admin mount panel."""
    out: dict[str, list[dict]] = {}
    rows = VolumeAttachment.objects.filter(host=host, status__in=AttachmentStatus.LIVE).values(
        "id", "volume__export_id", "volume_id", "instance__uuid", "device", "status").order_by("created_at")
    for r in rows:
        out.setdefault(str(r["volume__export_id"]), []).append({
            "attachment_id": str(r["id"]), "volume_id": str(r["volume_id"]),
            "server_id": str(r["instance__uuid"]), "device": r["device"], "status": r["status"]})
    return out


def volume_service_op_keys() -> dict[str, set[str]]:
    """{export id: {op key}} of volumes whose file is being made or removed: what the volume service needs."""
    from hypervisors.volumes import volume_op_key

    needed: dict[str, set[str]] = {}
    rows = Volume.objects.filter(status__in=(*VolumeStatus.MAKING, VolumeStatus.DELETING)).values_list(
        "export_id", "id")
    for export_id, volume_id in rows:
        needed.setdefault(str(export_id), set()).add(volume_op_key(str(volume_id)))
    return needed


def volume_usage(*, project_id) -> dict[str, int]:
    """How many volumes and GiB a project holds (one aggregate query), for Cinder's /limits."""
    from django.db.models import Count, Sum

    agg = (Volume.objects.filter(project_id=project_id).exclude(status=VolumeStatus.DELETED)
           .aggregate(volumes=Count("id"), gigabytes=Sum("size")))
    return {"volumes": agg["volumes"] or 0, "gigabytes": agg["gigabytes"] or 0}


def attachments_stale(*, cutoff) -> list[tuple]:
    """(id, status, host, request_id) of attachments attaching or detaching, unchanged since `cutoff`. Not those
    of a building server: its build attaches them (boot from volume), and the build has its own recovery."""
    return list(VolumeAttachment.objects.filter(
        status__in=(AttachmentStatus.ATTACHING, AttachmentStatus.DETACHING), updated_at__lt=cutoff).exclude(
        instance__vm_state="building").values_list(
        "id", "status", "host", "request_id"))


def volumes_stale(*, cutoff) -> list[tuple]:
    """(id, status) of volumes being created or deleted, unchanged since `cutoff`."""
    return list(Volume.objects.filter(status__in=(*VolumeStatus.MAKING, VolumeStatus.DELETING),
                                      updated_at__lt=cutoff).values_list("id", "status"))


def instance_volumes_json():
    """A server row's live attachments by device (the boot volume, vda, first) as JSON text, `[{"id": volume id,
    "delete_on_termination": bool}]` (NULL: none): Nova's os-extended-volumes:volumes_attached, read in the row's
    own query (compute selectors' server rows). SQLite gives the boolean as 0/1: the reader makes it a bool."""
    return RowsJson(VolumeAttachment.objects.filter(instance_id=OuterRef("id"), status__in=AttachmentStatus.LIVE)
                    .values(j=JSONObject(id=UuidText("volume_id"), delete_on_termination="delete_on_termination"),
                            o=F("device")), objects=True)


def instance_boot_volume_image_id(*, instance_id) -> str | None:
    """The image a volume-backed server's boot volume (vda) was made from (Cinder's volume_image_metadata
    `image_id`): what Nova rebuilds such a server with. None for a blank volume or no boot volume."""
    metadata = (VolumeAttachment.objects.filter(instance_id=instance_id, device=ROOT_DEVICE,
                                                status__in=AttachmentStatus.LIVE)
                .values_list("volume__image_metadata", flat=True).first())
    return (metadata or {}).get("image_id")
