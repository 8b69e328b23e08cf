"""The compute API's image proxy (removed at 2.36; its metadata at 2.39), over the image service:
/images, /images/detail, /images/{id} (show, delete) and /images/{id}/metadata[/{key}]."""
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.images.selectors import image_get, image_list
from compute_platform.images.services.images import image_delete, image_metadata_edit

from ..common.links import base_url
from ..common.pagination import next_links, page_params
from ..common.schemas import Link, UNSCOPED, doc_serializer, nova_errors
from ..common.timefmt import iso_z
from ..common.views import OpenStackView
from . import schemas, serializers
from .removed import require_below

REMOVED, METADATA_REMOVED = "2.36", "2.39"
STATUS = {"active": "ACTIVE", "queued": "SAVING", "saving": "SAVING", "deleted": "DELETED",
          "pending_delete": "DELETED", "killed": "ERROR"}
PROGRESS = {"queued": 25, "saving": 50, "active": 100}
NO_IMAGE = "No such image visible to the project (or microversion 2.36 or later)."
NO_IMAGE_39 = "No such image visible to the project (or microversion 2.39 or later)."


def _links(request, image_id) -> list[dict]:
    base = base_url(request)
    return [{"rel": "self", "href": f"{base}/compute/v2.1/images/{image_id}"},
            {"rel": "bookmark", "href": f"{base}/compute/images/{image_id}"},
            {"rel": "alternate", "type": "application/vnd.openstack.image", "href": f"{base}/image/images/{image_id}"}]


def metadata_of(image) -> dict:
    return {k: v for k, v in (image.properties or {}).items() if not k.startswith("_")}


def image_basic(request, image) -> dict:
    return {"id": str(image.id), "name": image.name or None, "links": _links(request, image.id)}


def image_detail(request, image) -> dict:
    metadata = metadata_of(image)
    body = {**image_basic(request, image), "minRam": image.min_ram, "minDisk": image.min_disk, "metadata": metadata,
            "created": iso_z(image.created_at), "updated": iso_z(image.updated_at),
            "status": STATUS.get(image.status, "UNKNOWN"), "progress": PROGRESS.get(image.status, 0),
            "OS-EXT-IMG-SIZE:size": image.size}
    if metadata.get("instance_uuid") is not None:  # a server's snapshot names its server
        base, sid = base_url(request), metadata["instance_uuid"]
        body["server"] = {"id": sid, "links": [{"rel": "self", "href": f"{base}/compute/v2.1/servers/{sid}"},
                                               {"rel": "bookmark", "href": f"{base}/compute/servers/{sid}"}]}
    if "auto_disk_config" in metadata:
        body["OS-DCF:diskConfig"] = "AUTO" if str(metadata["auto_disk_config"]).lower() in (
            "1", "t", "true", "on", "y", "yes") else "MANUAL"
    return body


def _int_filter(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise BadRequest(f"Invalid input for query parameters {name}. Value: {value}. It must be an integer.")
    return int(value)


# Nova's proxy filters that are image properties: `server` (an id, or a server's href: its last segment) and
# `type` ("snapshot" or "backup"), and any `property-<key>=<value>`.
PROPERTY_FILTERS = {"server": "instance_uuid", "type": "image_type"}


def _property_filters(request) -> dict:
    props = {}
    for name, value in request.query_params.items():
        key = PROPERTY_FILTERS.get(name) or (name[len("property-"):] if name.startswith("property-") else None)
        if key:
            props[key] = value.rsplit("/", 1)[-1] if name == "server" else value
    return props


# --- documentation ---------------------------------------------------------------------------------

class ImageBasic(fields.Serializer):
    id = fields.UUIDField()
    name = fields.CharField()
    links = Link(many=True)


ImageDetail = doc_serializer("ProxyImageDetail", {
    "minRam": fields.IntegerField(), "minDisk": fields.IntegerField(),
    "metadata": fields.DictField(child=fields.CharField()), "created": fields.CharField(),
    "updated": fields.CharField(), "status": fields.CharField(help_text="ACTIVE, SAVING, DELETED, ERROR, UNKNOWN."),
    "progress": fields.IntegerField(), "OS-EXT-IMG-SIZE:size": fields.IntegerField(allow_null=True),
    "server": fields.DictField(required=False, help_text="The server a snapshot was taken of."),
    "OS-DCF:diskConfig": fields.CharField(required=False)}, base=ImageBasic)
ProxyImageList = doc_serializer("ProxyImageList", {"images": ImageBasic(many=True),
                                                   "images_links": Link(many=True, required=False)})
ProxyImageDetailList = doc_serializer("ProxyImageDetailList", {"images": ImageDetail(many=True),
                                                               "images_links": Link(many=True, required=False)})
ProxyImageShow = doc_serializer("ProxyImageShow", {"image": ImageDetail()})
Metadata = doc_serializer("ProxyImageMetadata", {"metadata": fields.DictField(child=fields.CharField())})
Meta = doc_serializer("ProxyImageMeta", {"meta": fields.DictField(child=fields.CharField(),
                                                                  help_text="`{key: value}`, one item.")})
FILTERS = [OpenApiParameter("name", str), OpenApiParameter("status", str, description="ACTIVE, SAVING..."),
           OpenApiParameter("minRam", int), OpenApiParameter("minDisk", int),
           OpenApiParameter("server", str, description="Snapshots and backups of this server (its id or href)."),
           OpenApiParameter("type", str, description="`snapshot` or `backup`."),
           OpenApiParameter("limit", int), OpenApiParameter("marker", str, description="Last image id of the page.")]
METADATA_WRITE_ERRORS = nova_errors({400: "Invalid keys or values.", 404: NO_IMAGE_39,
                                     403: "Not the owner, or over the metadata_items quota."})
LIST_ERRORS = nova_errors({400: "Bad limit, marker or filter.", 403: UNSCOPED, 404: "Microversion 2.36 or later."})


# --- views -----------------------------------------------------------------------------------------

class ProxyImageListView(OpenStackView):
    detail = False

    def _list(self, request):
        require_below(request, REMOVED)
        page = page_params(request)
        filters = {"name": request.query_params.get("name"),
                   "status": (request.query_params.get("status") or "").lower() or None,
                   "min_ram": _int_filter(request, "minRam"), "min_disk": _int_filter(request, "minDisk"),
                   "properties": _property_filters(request)}
        images = image_list(context=self.context, filters=filters, limit=page.limit, marker=page.marker)
        render = image_detail if self.detail else image_basic
        return Response({"images": [render(request, i) for i in images],
                         **next_links(request, "images_links", page=page, items=images, marker_of=lambda i: i.id)})

    @extend_schema(operation_id="compute_images_list", summary="List images (proxy, below 2.36)",
                   tags=schemas.TAGS, parameters=FILTERS, responses={200: ProxyImageList, **LIST_ERRORS})
    def get(self, request):
        return self._list(request)


class ProxyImageDetailListView(ProxyImageListView):
    detail = True

    @extend_schema(operation_id="compute_images_list_detail", summary="List images with details (proxy, below "
                   "2.36)", tags=schemas.TAGS, parameters=FILTERS, responses={200: ProxyImageDetailList,
                                                                              **LIST_ERRORS})
    def get(self, request):
        return self._list(request)


class ProxyImageView(OpenStackView):
    @extend_schema(operation_id="compute_image_show", summary="Show an image (proxy, below 2.36)",
                   tags=schemas.TAGS, responses={200: ProxyImageShow, **nova_errors({403: UNSCOPED, 404: NO_IMAGE})})
    def get(self, request, image_id):
        require_below(request, REMOVED)
        return Response({"image": image_detail(request, _image(self.context, image_id))})

    @extend_schema(operation_id="compute_image_delete", summary="Delete an image (proxy, below 2.36)",
                   tags=schemas.TAGS,
                   responses={204: OpenApiResponse(description="Deleted. No body."),
                              **nova_errors({403: "Not the image's owner, or protected.", 404: NO_IMAGE})})
    def delete(self, request, image_id):
        require_below(request, REMOVED)
        image_delete(context=self.context, image=_image(self.context, image_id))
        return Response(status=204)


def _image(context, image_id):
    try:
        return image_get(context=context, image_id=image_id)
    except NotFound:
        raise NotFound("Image not found.")


def _metadata_body(request, key: str) -> dict:
    data = serializers.ImageMetadataBody(data=request.data if isinstance(request.data, dict) else {}, key=key)
    data.is_valid(raise_exception=True)
    return data.validated_data[key]


class ProxyImageMetadataView(OpenStackView):
    @extend_schema(operation_id="compute_image_metadata_list", summary="An image's metadata (proxy, below 2.39)",
                   tags=schemas.TAGS, responses={200: Metadata, **nova_errors({403: UNSCOPED, 404: NO_IMAGE_39})})
    def get(self, request, image_id):
        require_below(request, METADATA_REMOVED)
        return Response({"metadata": metadata_of(_image(self.context, image_id))})

    @extend_schema(operation_id="compute_image_metadata_update", summary="Add or replace metadata items (proxy, "
                   "below 2.39)", tags=schemas.TAGS, request=Metadata,
                   responses={200: Metadata, **METADATA_WRITE_ERRORS})
    def post(self, request, image_id):
        require_below(request, METADATA_REMOVED)
        changes = _metadata_body(request, "metadata")
        metadata = image_metadata_edit(context=self.context, image=_image(self.context, image_id),
                                       edit=lambda current: {**current, **changes})
        return Response({"metadata": metadata})

    @extend_schema(operation_id="compute_image_metadata_replace", summary="Replace all metadata (proxy, below "
                   "2.39)", tags=schemas.TAGS, request=Metadata,
                   responses={200: Metadata, **METADATA_WRITE_ERRORS})
    def put(self, request, image_id):
        require_below(request, METADATA_REMOVED)
        metadata = _metadata_body(request, "metadata")
        image_metadata_edit(context=self.context, image=_image(self.context, image_id), edit=lambda current: metadata)
        return Response({"metadata": metadata})


class ProxyImageMetadataItemView(OpenStackView):
    @extend_schema(operation_id="compute_image_metadata_show", summary="One metadata item (proxy, below 2.39)",
                   tags=schemas.TAGS, responses={200: Meta, **nova_errors({403: UNSCOPED,
                                                                           404: NO_IMAGE_39 + " Or no such key."})})
    def get(self, request, image_id, key):
        require_below(request, METADATA_REMOVED)
        metadata = metadata_of(_image(self.context, image_id))
        if key not in metadata:
            raise NotFound("The resource could not be found.")
        return Response({"meta": {key: metadata[key]}})

    @extend_schema(operation_id="compute_image_metadata_set", summary="Set one metadata item (proxy, below 2.39)",
                   tags=schemas.TAGS, request=Meta,
                   responses={200: Meta, **nova_errors({400: "Not exactly the path's key, or a bad value.",
                                                        403: "Not the owner, or over the metadata_items quota.",
                                                        404: NO_IMAGE_39})})
    def put(self, request, image_id, key):
        require_below(request, METADATA_REMOVED)
        meta = _metadata_body(request, "meta")
        if len(meta) != 1:
            raise BadRequest("Invalid input: `meta` must have exactly one item.")
        if key not in meta:
            raise BadRequest("Request body and URI mismatch")
        image_metadata_edit(context=self.context, image=_image(self.context, image_id),
                            edit=lambda current: {**current, **meta})
        return Response({"meta": meta})

    @extend_schema(operation_id="compute_image_metadata_delete", summary="Delete one metadata item (proxy, below "
                   "2.39)", tags=schemas.TAGS,
                   responses={204: OpenApiResponse(description="Deleted. No body."),
                              **nova_errors({403: "Not the image's owner.", 404: NO_IMAGE_39 + " Or no such key."})})
    def delete(self, request, image_id, key):
        require_below(request, METADATA_REMOVED)
        image = _image(self.context, image_id)

        def without_key(current: dict) -> dict:
            if key not in current:
                raise NotFound("Invalid metadata key")
            return {k: v for k, v in current.items() if k != key}

        image_metadata_edit(context=self.context, image=image, edit=without_key)
        return Response(status=204)
