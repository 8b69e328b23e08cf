"""OpenAPI declarations of the volume API (Cinder v3 subset): documentation-only serializers mirroring
view_builders.py, and one `extend_schema` per operation."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from ..common.schemas import UNSCOPED, Link, doc_serializer, nova_errors
from . import serializers as inputs

TAGS = ["volume"]
ISO_NO_ZONE = "ISO 8601 without a zone (UTC), microseconds."

VolumeBasic = doc_serializer("VolumeBasic", {
    "id": serializers.UUIDField(),
    "name": serializers.CharField(allow_null=True),
    "links": Link(many=True),
})

VolumeAttachmentSummary = doc_serializer("VolumeAttachmentSummary", {
    "id": serializers.UUIDField(help_text="The volume's id (Cinder's shape)."),
    "attachment_id": serializers.UUIDField(),
    "volume_id": serializers.UUIDField(),
    "server_id": serializers.UUIDField(),
    "host_name": serializers.CharField(allow_null=True, help_text="Admins only; null otherwise."),
    "device": serializers.CharField(help_text="`/dev/vdb` ..."),
    "attached_at": serializers.CharField(help_text=ISO_NO_ZONE),
})

VolumeDetail = doc_serializer("VolumeDetail", {
    "id": serializers.UUIDField(),
    "name": serializers.CharField(allow_null=True),
    "description": serializers.CharField(allow_null=True),
    "status": serializers.CharField(help_text="creating, downloading (from an image), available, attaching, in-use, "
                                              "detaching, deleting, error, error_deleting."),
    "size": serializers.IntegerField(help_text="GiB."),
    "availability_zone": serializers.CharField(),
    "created_at": serializers.CharField(help_text=ISO_NO_ZONE),
    "updated_at": serializers.CharField(help_text=ISO_NO_ZONE),
    "attachments": VolumeAttachmentSummary(many=True),
    "bootable": serializers.CharField(help_text="`true` for a volume made from an image (or set so by "
                                                "os-set_bootable): a server may boot from it."),
    "volume_image_metadata": serializers.DictField(required=False, help_text="The source image's id, name, "
                                                   "formats, checksum, size, min_ram and min_disk; only on "
                                                   "volumes made from an image."),
    "encrypted": serializers.BooleanField(),
    "multiattach": serializers.BooleanField(),
    "metadata": serializers.DictField(child=serializers.CharField()),
    "links": Link(many=True),
    "user_id": serializers.CharField(),
    "os-vol-tenant-attr:tenant_id": serializers.CharField(),
    "volume_type": serializers.CharField(),
    "snapshot_id": serializers.CharField(allow_null=True),
    "source_volid": serializers.CharField(allow_null=True),
    "replication_status": serializers.CharField(allow_null=True),
    "consistencygroup_id": serializers.CharField(allow_null=True),
    "group_id": serializers.CharField(allow_null=True),
    "os-vol-host-attr:host": serializers.CharField(required=False, help_text="Admins only: `service@nfs#export`."),
    "migration_status": serializers.CharField(required=False, allow_null=True, help_text="Admins only."),
})


class VolumeBody(serializers.Serializer):
    volume = VolumeDetail()


class VolumeList(serializers.Serializer):
    volumes = VolumeBasic(many=True)
    volumes_links = Link(many=True, required=False, help_text="`next` when the page is full.")


class VolumeDetailList(serializers.Serializer):
    volumes = VolumeDetail(many=True)
    volumes_links = Link(many=True, required=False)


class VolumeCreateRequest(serializers.Serializer):
    volume = inputs.VolumeCreate()


LIST_PARAMETERS = [
    OpenApiParameter("all_tenants", OpenApiTypes.BOOL, description="Admins: every project's volumes."),
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size."),
    OpenApiParameter("marker", OpenApiTypes.UUID, description="The last volume id of the previous page."),
    OpenApiParameter("name", OpenApiTypes.STR, description="Exact name."),
    OpenApiParameter("status", OpenApiTypes.STR, description="Exact status."),
]

volume_list = extend_schema(
    operation_id="volume_list", summary="List volumes", tags=TAGS, parameters=LIST_PARAMETERS,
    responses={200: VolumeList, **nova_errors({400: "Bad limit or unknown marker.", 403: UNSCOPED})})

volume_list_detail = extend_schema(
    operation_id="volume_list_detail", summary="List volumes with details", tags=TAGS, parameters=LIST_PARAMETERS,
    responses={200: VolumeDetailList, **nova_errors({400: "Bad limit or unknown marker.", 403: UNSCOPED})})

volume_create = extend_schema(
    operation_id="volume_create", summary="Create a volume, blank or from an image", tags=TAGS,
    request=VolumeCreateRequest,
    description="Accepted with 202 in status `creating` (`downloading` with `imageRef`); the volume service makes "
                "a sparse file `volume-<id>` on the enabled export holding the fewest volumes (with `imageRef`: "
                "the image's disk, converted to raw, and the volume is bootable), then the status is "
                "`available` (or `error`).",
    responses={202: VolumeBody, **nova_errors({400: "Invalid body, unknown image or one larger than the volume, "
                                                    "or no enabled export exists.", 403: UNSCOPED})})

volume_action = extend_schema(
    operation_id="volume_action", summary="Act on a volume (os-set_bootable)", tags=TAGS,
    request=doc_serializer("VolumeActionRequest", {"os-set_bootable": inputs.VolumeSetBootable(
        required=False, help_text="Whether a server may boot from the volume.")}),
    responses={200: OpenApiResponse(description="Done. No body."),
               **nova_errors({400: "Unknown action or invalid body.", 403: UNSCOPED,
                              404: "No such volume in the project."})})

volume_show = extend_schema(
    operation_id="volume_show", summary="Show a volume", tags=TAGS,
    responses={200: VolumeBody, **nova_errors({403: UNSCOPED, 404: "No such volume in the project."})})

volume_delete = extend_schema(
    operation_id="volume_delete", summary="Delete a volume", tags=TAGS,
    description="Accepted with 202 (status `deleting`); the file is removed from its export.",
    responses={202: OpenApiResponse(description="Delete accepted. No body."),
               **nova_errors({400: "The volume is attached (in-use) or not in a deletable status.",
                              403: UNSCOPED, 404: "No such volume in the project."})})


VolumeVersion = doc_serializer("VolumeVersion", {
    "id": serializers.CharField(), "status": serializers.CharField(),
    "version": serializers.CharField(help_text="The highest microversion served: 3.0."),
    "min_version": serializers.CharField(), "updated": serializers.CharField(), "links": Link(many=True),
    "media-types": serializers.ListField(child=serializers.DictField()),
})
VolumeVersionList = doc_serializer("VolumeVersionList", {"versions": VolumeVersion(many=True)})
VolumeVersionResponse = doc_serializer("VolumeVersionResponse", {"version": VolumeVersion()})
VolumeLimits = doc_serializer("VolumeLimits", {"limits": serializers.DictField(
    help_text="`rate: []` and `absolute`: max* are -1 (no volume quotas yet), total*Used the project's usage.")})

versions_list = extend_schema(operation_id="volume_versions_list", summary="List block-storage API versions",
                              tags=TAGS, auth=[], responses={200: VolumeVersionList})
version_show = extend_schema(operation_id="volume_version_show", summary="Show the v3 version document",
                             tags=TAGS, auth=[], responses={200: VolumeVersionResponse})
limits_show = extend_schema(operation_id="volume_limits_show", summary="Show the project's volume limits",
                            tags=TAGS, responses={200: VolumeLimits, **nova_errors({403: UNSCOPED})})
