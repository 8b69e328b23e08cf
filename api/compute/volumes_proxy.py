"""Nova's os-volumes proxy (2.1 to 2.35) over the volume service: the same selectors and services the
Cinder-shaped API calls, in Nova's camelCase shape (volumes.py's `_translate_volume_*_view`)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest
from compute_platform.volumes.selectors import volume_get, volume_list
from compute_platform.volumes.services.volumes import volume_create, volume_delete

from ..common.pagination import page_params
from ..common.schemas import nova_errors
from ..common.timefmt import iso_usec
from ..common.views import OpenStackView, body_of
from .security_groups import proxy_gone

TAGS = ["compute"]
OBJECT = OpenApiResponse(OpenApiTypes.OBJECT)
GONE = "From microversion 2.36 (the proxy was removed)."
CREATE_KEYS = {"volume_type", "metadata", "snapshot_id", "size", "availability_zone", "display_name",
               "display_description"}


def volume_body(volume) -> dict:
    attachments = volume.shown_attachments  # prefetched by the volume selectors
    if attachments:
        first = attachments[0]
        shown = [{"id": str(volume.id), "volumeId": str(volume.id), "serverId": str(first.instance.uuid),
                  **({"device": first.device} if first.device else {})}]
    else:
        shown = [{}]  # Nova's shape for a volume attached nowhere
    body = {"id": str(volume.id), "status": volume.status, "size": volume.size,
            "availabilityZone": volume.availability_zone, "createdAt": iso_usec(volume.created_at),
            "attachments": shown, "displayName": volume.name or None,
            "displayDescription": volume.description or None, "volumeType": None, "snapshotId": None,
            "metadata": volume.metadata or {}}
    return body


def _size(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or (isinstance(value, str) and not value.isdigit()):
        raise BadRequest("Invalid input for field/attribute size: it must be a positive integer.")
    if int(value) < 1:
        raise BadRequest("Invalid input for field/attribute size: it must be at least 1.")
    return int(value)


class OsVolumeListView(OpenStackView):
    detail = False

    @extend_schema(operation_id="compute_os_volumes_list", summary="Volumes (proxy, below 2.36)", tags=TAGS,
                   responses={200: OBJECT, **nova_errors({404: GONE})})
    def get(self, request):
        proxy_gone(request)
        page = page_params(request)  # Nova's common.limited: offset, then at most limit
        volumes = volume_list(context=self.context)[page.offset:page.offset + page.limit]
        return Response({"volumes": [volume_body(v) for v in volumes]})

    @extend_schema(operation_id="compute_os_volume_create", summary="Create a volume (proxy)", tags=TAGS,
                   request=OpenApiTypes.OBJECT,
                   responses={200: OBJECT, **nova_errors({400: "Invalid size or input.", 404: GONE})})
    def post(self, request):
        proxy_gone(request)
        body = body_of(request, "volume")
        extra = set(body) - CREATE_KEYS
        if extra:
            raise BadRequest(f"Additional properties are not allowed ({', '.join(sorted(extra))} was unexpected)")
        if "size" not in body:
            raise BadRequest("Invalid input for field/attribute volume: 'size' is a required property")
        if body.get("snapshot_id") is not None:
            raise BadRequest("Volume snapshots are not supported.")
        for key in ("display_name", "display_description", "availability_zone", "volume_type"):
            if key in body and not isinstance(body[key], str):
                raise BadRequest(f"Invalid input for field/attribute {key}: it must be a string.")
        metadata = body.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise BadRequest("Invalid input for field/attribute metadata: it must be an object.")
        volume = volume_create(context=self.context, size=_size(body["size"]), name=body.get("display_name", ""),
                               description=body.get("display_description", ""),
                               availability_zone=body.get("availability_zone"), metadata=metadata)
        volume = volume_get(context=self.context, volume_id=volume.id)
        response = Response({"volume": volume_body(volume)})
        response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{volume.id}")
        return response


class OsVolumeDetailListView(OsVolumeListView):
    http_method_names = ["get", "head", "options"]

    @extend_schema(operation_id="compute_os_volumes_list_detail", summary="Volumes in detail (proxy)",
                   tags=TAGS, responses={200: OBJECT, **nova_errors({404: GONE})})
    def get(self, request):
        return super().get(request)


class OsVolumeView(OpenStackView):
    @extend_schema(operation_id="compute_os_volume_show", summary="One volume (proxy)", tags=TAGS,
                   responses={200: OBJECT, **nova_errors({404: "No such volume."})})
    def get(self, request, volume_id):
        proxy_gone(request)
        return Response({"volume": volume_body(volume_get(context=self.context, volume_id=volume_id))})

    @extend_schema(operation_id="compute_os_volume_delete", summary="Delete a volume (proxy)", tags=TAGS,
                   responses={202: None, **nova_errors({400: "Attached or busy.", 404: "No such volume."})})
    def delete(self, request, volume_id):
        proxy_gone(request)
        volume_delete(context=self.context, volume=volume_get(context=self.context, volume_id=volume_id))
        return Response(status=202)
