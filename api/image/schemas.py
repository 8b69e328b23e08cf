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
    os_hidden = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    self = serializers.CharField()
    file = serializers.CharField()
    schema = serializers.CharField()


class ImageCreateRequest(OpenObject, ImageCreate):
    """The writable core attributes; any other key is a custom property and must be a string that does
    not start with `_`. Read-only attributes (status, size, checksum...) are refused. Only admins may
    create public images; the default visibility is `shared`."""


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
