"""OpenAPI declarations of the image API (Glance v2 subset): the body of views.image_body
(documentation only) and one `extend_schema` per operation, applied in the views."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from ..common.schemas import UNSCOPED, Link, OpenObject, nova_errors
from .serializers import ImageCreate

TAGS = ["image"]


class Image(OpenObject):
    """An image record. Custom properties set at creation appear as extra string keys."""

    id = serializers.UUIDField()
    name = serializers.CharField(allow_null=True)
    status = serializers.CharField(help_text="queued, saving, active, killed, deleted or deactivated.")
    visibility = serializers.CharField(help_text="public, private, shared or community.")
    protected = serializers.BooleanField()
    checksum = serializers.CharField(allow_null=True)
    container_format = serializers.CharField(allow_blank=True)
    disk_format = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField(allow_null=True)
    virtual_size = serializers.IntegerField(allow_null=True, help_text="Always null.")
    min_disk = serializers.IntegerField()
    min_ram = serializers.IntegerField()
    owner = serializers.CharField(allow_null=True, help_text="Owning project id.")
    os_hidden = serializers.BooleanField(help_text="Hidden images are listed only with `os_hidden=true`.")
    tags = serializers.ListField(child=serializers.CharField())
    os_hash_algo = serializers.CharField(allow_null=True, help_text="`sha512` once data is uploaded.")
    os_hash_value = serializers.CharField(allow_null=True, help_text="Hex digest of the data.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    self = serializers.CharField()
    file = serializers.CharField()
    schema = serializers.CharField()


class ImageCreateRequest(OpenObject, ImageCreate):
    """The writable core attributes (plus `tags`, a list of strings, and `os_hidden`, a boolean); any
    other key is a custom property and must be a string that does not start with `_`. `kernel_id` and
    `ramdisk_id` must name existing images. Read-only attributes (status, size, checksum...) are refused.
    Only admins may create public images; the default visibility is `shared`."""


class ImageList(serializers.Serializer):
    images = Image(many=True)
    first = serializers.CharField()
    schema = serializers.CharField()
    next = serializers.CharField(required=False, help_text="The next page, when this one is full.")


class ImageVersion(serializers.Serializer):
    id = serializers.CharField(help_text="`v2.9`")
    status = serializers.CharField(help_text="`CURRENT`")
    links = Link(many=True)


class ImageVersionList(serializers.Serializer):
    versions = ImageVersion(many=True)


versions_root = extend_schema(
    operation_id="image_versions_choices", summary="List image API versions (300 Multiple Choices)", tags=TAGS,
    responses={300: ImageVersionList})

versions_list = extend_schema(
    operation_id="image_versions_list", summary="List image API versions", tags=TAGS,
    responses={200: ImageVersionList})

image_list = extend_schema(
    operation_id="image_images_list", summary="List images", tags=TAGS,
    description="Images the project may see, newest first, keyset-paginated with `limit` and `marker`.",
    parameters=[
        OpenApiParameter("name", str, description="Exact name."),
        OpenApiParameter("status", str, description="Exact status."),
        OpenApiParameter("visibility", str, description="public, private, shared or community."),
        OpenApiParameter("disk_format", str),
        OpenApiParameter("container_format", str),
        OpenApiParameter("owner", str, description="Owning project id."),
        OpenApiParameter("os_hidden", bool, description="List only hidden images (default: only visible ones)."),
        OpenApiParameter("limit", int, description="Page size (at most 1000)."),
        OpenApiParameter("marker", OpenApiTypes.UUID, description="Id of the last image of the previous page."),
    ],
    responses={200: ImageList, **nova_errors({400: "Bad limit or unknown marker.", 403: UNSCOPED})})

image_create = extend_schema(
    operation_id="image_image_create", summary="Create an image record (metadata only)", tags=TAGS,
    request=ImageCreateRequest,
    parameters=[OpenApiParameter("Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201],
                                 description="URL of the new image.")],
    responses={201: Image,
               **nova_errors({400: "Invalid attribute, a read-only attribute, or a non-string property.",
                              403: "Only admins may create public images, or the token is not scoped to a "
                                   "project."})})

image_show = extend_schema(
    operation_id="image_image_show", summary="Show an image", tags=TAGS,
    responses={200: Image, **nova_errors({403: UNSCOPED, 404: "No such image visible to the project."})})

image_delete = extend_schema(
    operation_id="image_image_delete", summary="Delete an image", tags=TAGS,
    responses={204: OpenApiResponse(description="Deleted (soft: status becomes `deleted`). No body."),
               **nova_errors({403: "Not the owner (nor an admin), the image is protected, or the token is "
                                   "not scoped to a project.",
                              404: "No such image visible to the project."})})

image_upload = extend_schema(
    operation_id="image_file_upload", summary="Upload image data", tags=TAGS,
    description="The raw bytes, `Content-Type: application/octet-stream` (chunked transfer encoding "
                "accepted). The image goes queued -> saving -> active and gets `size`, `checksum` (MD5) and "
                "`os_hash_algo`/`os_hash_value` (SHA-512). A failed upload puts it back to queued.",
    request={"application/octet-stream": OpenApiTypes.BINARY},
    responses={204: OpenApiResponse(description="Stored; the image is active. No body."),
               **nova_errors({400: "The body ended before its Content-Length.",
                              403: "Not the owner (nor an admin), or the token is not scoped to a project.",
                              404: "No such image visible to the project.",
                              409: "The image is not queued (data already uploaded, or an upload running).",
                              413: "The data exceeds IMAGE_SIZE_CAP.",
                              415: "Content-Type is not application/octet-stream."})})

image_download = extend_schema(
    operation_id="image_file_download", summary="Download image data", tags=TAGS,
    responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY,
                                                                  description="The data; `Content-MD5` header."),
               204: OpenApiResponse(description="The image has no data yet."),
               **nova_errors({403: UNSCOPED, 404: "No such image visible to the project, or its data is "
                                                  "missing from the store."})})
