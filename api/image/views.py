"""Glance v2 subset: versions, list, show, create (metadata), delete."""
from drf_spectacular.utils import extend_schema_view
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.compute.services.images import CORE, image_create, image_delete

from ..common.links import base_url
from ..common.views import OpenStackView, PublicView
from . import schemas
from .serializers import ImageCreate
from ..common.timefmt import iso_z
READ_ONLY = {"id", "status", "size", "checksum", "created_at", "updated_at", "owner", "self", "file", "schema",
             "virtual_size", "os_hash_algo", "os_hash_value", "direct_url", "locations"}


def image_body(image) -> dict:
    body = {"id": str(image.id), "name": image.name or None, "status": image.status,
            "visibility": image.visibility, "protected": image.protected, "checksum": image.checksum,
            "container_format": image.container_format, "disk_format": image.disk_format, "size": image.size,
            "virtual_size": None, "min_disk": image.min_disk, "min_ram": image.min_ram,
            "owner": image.owner_id, "os_hidden": False, "tags": [], "created_at": iso_z(image.created_at),
            "updated_at": iso_z(image.updated_at), "self": f"/v2/images/{image.id}",
            "file": f"/v2/images/{image.id}/file", "schema": "/v2/schemas/image"}
    body.update({k: v for k, v in (image.properties or {}).items() if not k.startswith("_")})
    return body


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
        qs = selectors.image_visible(context=self.context)
        params = request.query_params
        for field in ("name", "status", "visibility", "disk_format", "container_format"):
            if params.get(field):
                qs = qs.filter(**{field: params[field]})
        if params.get("owner"):
            qs = qs.filter(owner_id=params["owner"])
        try:
            limit = min(int(params.get("limit", 1000)), 1000)
        except ValueError:
            raise BadRequest("limit param must be an integer")
        if limit < 0:
            raise BadRequest("limit param must be positive")
        if params.get("marker"):
            try:
                anchor = selectors.image_get(context=self.context, image_id=params["marker"])
            except NotFound:
                raise BadRequest(f"marker [{params['marker']}] not found")
            qs = qs.filter(created_at__lt=anchor.created_at) | qs.filter(created_at=anchor.created_at,
                                                                        id__lt=anchor.id)
        images = list(qs.order_by("-created_at", "-id")[:limit])
        body = {"images": [image_body(i) for i in images], "first": "/v2/images", "schema": "/v2/schemas/images"}
        if len(images) == limit:
            body["next"] = f"/v2/images?marker={images[-1].id}&limit={limit}"
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
        properties = {k: v for k, v in request.data.items() if k not in CORE and k not in READ_ONLY}
        for k, v in properties.items():
            if not isinstance(v, str) or k.startswith("_"):
                raise BadRequest(f"Property '{k}' must be a string and not start with '_'.")
        image = image_create(context=self.context, fields=data.validated_data, properties=properties)
        response = Response(image_body(image), status=201)
        response["Location"] = f"{base_url(request)}/image/v2/images/{image.id}"
        return response


class ImageView(OpenStackView):
    @schemas.image_show
    def get(self, request, image_id):
        return Response(image_body(selectors.image_get(context=self.context, image_id=image_id)))

    @schemas.image_delete
    def delete(self, request, image_id):
        image_delete(context=self.context, image=selectors.image_get(context=self.context, image_id=image_id))
        return Response(status=204)
