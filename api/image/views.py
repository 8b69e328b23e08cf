"""Glance v2 subset: versions, list, show, create (metadata), upload and download of data, delete."""
from django.http import FileResponse, QueryDict
from drf_spectacular.utils import extend_schema_view
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest, ComputeError, NotFound
from compute_platform.images.selectors import LIST_FILTERS, image_get, image_list
from compute_platform.images.services.images import CORE, image_create, image_delete, image_upload

from ..common.links import base_url
from ..common.pagination import page_params
from ..common.views import OpenStackView, PublicView
from . import schemas
from .serializers import ImageCreate
from ..common.timefmt import iso_z

READ_ONLY = {"id", "status", "size", "checksum", "created_at", "updated_at", "owner", "self", "file", "schema",
             "virtual_size", "os_hash_algo", "os_hash_value", "direct_url", "locations", "stores"}
# Core attributes that are not model fields: kept as hidden properties (no migration for two lists).
HIDDEN_CORE = {"tags": "_tags", "os_hidden": "_os_hidden"}
# Glance's list parameters that are not property filters (some unsupported here, so ignored): any other
# parameter filters on the image property of that name, exactly (`?image_type=backup&instance_uuid=...`).
LIST_PARAMS = {*LIST_FILTERS, "limit", "marker", "sort", "sort_key", "sort_dir", "os_hidden", "member_status",
               "tag", "size_min", "size_max", "id", "protected", "created_at", "updated_at", "checksum",
               "os_hash_value", "min_ram", "min_disk"}


def image_body(image) -> dict:
    props = image.properties or {}
    body = {"id": str(image.id), "name": image.name or None, "status": image.status,
            "visibility": image.visibility, "protected": image.protected, "checksum": image.checksum,
            "container_format": image.container_format, "disk_format": image.disk_format, "size": image.size,
            "virtual_size": None, "min_disk": image.min_disk, "min_ram": image.min_ram,
            "owner": image.owner_id, "os_hidden": bool(props.get("_os_hidden", False)),
            "tags": list(props.get("_tags", [])), "os_hash_algo": props.get("_os_hash_algo"),
            "os_hash_value": props.get("_os_hash_value"), "created_at": iso_z(image.created_at),
            "updated_at": iso_z(image.updated_at), "self": f"/v2/images/{image.id}",
            "file": f"/v2/images/{image.id}/file", "schema": "/v2/schemas/image"}
    body.update({k: v for k, v in props.items() if not k.startswith("_")})
    return body


def _hidden_core(data: dict) -> dict:
    """`tags` (a list of strings) and `os_hidden` (a boolean) from a create body, as hidden properties."""
    out = {}
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 255 for t in tags):
        raise BadRequest("Attribute 'tags' must be a list of non-empty strings.")
    if tags:
        out["_tags"] = sorted(set(tags))
    if "os_hidden" in data:
        if not isinstance(data["os_hidden"], bool):
            raise BadRequest("Attribute 'os_hidden' must be a boolean.")
        out["_os_hidden"] = data["os_hidden"]
    return out


class VersionsView(PublicView):
    @schemas.versions_list
    def get(self, request):
        base = base_url(request)
        return Response({"versions": [{"id": "v2.9", "status": "CURRENT",
                                       "links": [{"rel": "self", "href": f"{base}/image/v2/"}]}]}, status=300
                        if request.path.rstrip("/").endswith("image") else 200)


@extend_schema_view(get=schemas.versions_root)
class VersionsChoicesView(VersionsView):
    """/image/ itself: the same document, answered 300 Multiple Choices (by VersionsView.get)."""


class ImageListView(OpenStackView):
    @schemas.image_list
    def get(self, request):
        params = request.query_params
        page = page_params(request, max_limit=1000)
        filters = {f: params[f] for f in LIST_FILTERS if params.get(f)}
        filters["os_hidden"] = params.get("os_hidden", "false").lower() in ("true", "1", "yes")
        filters["properties"] = {k: v for k, v in params.items() if k not in LIST_PARAMS}
        sort_dir = params.get("sort_dir", "desc")
        if sort_dir not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort direction: {sort_dir}")
        # (created_at is the one sort key kept here, Glance's default; another is ignored, as it always was)
        images = image_list(context=self.context, filters=filters, limit=page.limit, marker=page.marker,
                            ascending=sort_dir == "asc")
        body = {"images": [image_body(i) for i in images], "first": "/v2/images", "schema": "/v2/schemas/images"}
        if images and len(images) == page.limit:  # limit=0: an empty page, and no next (it was a 500)
            query = QueryDict(mutable=True)  # the next page keeps the filters and the order
            query["marker"], query["limit"] = str(images[-1].id), str(page.limit)
            for key in params.keys() - {"marker", "limit"}:
                query.setlist(key, params.getlist(key))
            body["next"] = f"/v2/images?{query.urlencode()}"
        return Response(body)

    @schemas.image_create
    def post(self, request):
        if not isinstance(request.data, dict):
            raise BadRequest("The request body must be a JSON object.")
        data = ImageCreate(data=request.data)
        data.is_valid(raise_exception=True)
        bad = READ_ONLY & set(request.data)
        if bad - {"id"}:
            raise BadRequest(f"Attribute '{sorted(bad)[0]}' is read-only.")
        properties = {k: v for k, v in request.data.items()
                      if k not in CORE and k not in READ_ONLY and k not in HIDDEN_CORE}
        for k, v in properties.items():
            if not isinstance(v, str) or k.startswith("_"):
                raise BadRequest(f"Property '{k}' must be a string and not start with '_'.")
        properties.update(_hidden_core(request.data))
        image = image_create(context=self.context, fields=data.validated_data, properties=properties)
        response = Response(image_body(image), status=201)
        response["Location"] = f"{base_url(request)}/image/v2/images/{image.id}"
        return response


class ImageView(OpenStackView):
    @schemas.image_show
    def get(self, request, image_id):
        return Response(image_body(image_get(context=self.context, image_id=image_id)))

    @schemas.image_delete
    def delete(self, request, image_id):
        image_delete(context=self.context, image=image_get(context=self.context, image_id=image_id))
        return Response(status=204)


def _content_length(request) -> int | None:
    value = request.META.get("CONTENT_LENGTH")
    if not value:
        return None
    try:
        length = int(value)
    except ValueError:
        raise BadRequest(f"Invalid Content-Length: {value}")
    if length < 0:
        raise BadRequest(f"Invalid Content-Length: {value}")
    return length


def _raw_body(request):
    """The request body as a stream, unparsed (DRF's parsers would buffer or refuse octet-stream).
    A chunked body has no Content-Length, so Django's stream would read as empty: read the server's
    de-chunked input instead."""
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return request.META["wsgi.input"]
    return request._request


class ImageFileView(OpenStackView):
    @schemas.image_upload
    def put(self, request, image_id):
        content_type = request.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()
        if content_type != "application/octet-stream":
            raise UnsupportedMediaType(f"Content-Type must be application/octet-stream, not {content_type}.")
        image = image_get(context=self.context, image_id=image_id)
        image_upload(context=self.context, image=image, stream=_raw_body(request),
                     content_length=_content_length(request))
        return Response(status=204)

    @schemas.image_download
    def get(self, request, image_id):
        image = image_get(context=self.context, image_id=image_id)
        path = (image.properties or {}).get("_data_path")
        if image.status != "active" or not path:
            return Response(status=204)  # Glance: an image without data answers 204 No Content
        try:
            handle = open(path, "rb")
        except FileNotFoundError:
            raise NotFound(f"The data of image {image.id} is missing from the store.") from None
        response = FileResponse(handle, content_type="application/octet-stream")
        response["Content-MD5"] = image.checksum or ""
        return response


class UnsupportedMediaType(ComputeError):
    code = 415
    fault = "HTTPUnsupportedMediaType"
