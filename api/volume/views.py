"""/volume/v3/{project_id}/volumes: create, list, detail, show, delete (Cinder v3)."""
from drf_spectacular.utils import extend_schema_view
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.images.selectors import image_get
from compute_platform.volumes import selectors
from compute_platform.volumes.services.volumes import volume_create, volume_delete

from ..common.pagination import next_links, page_params
from ..common.views import OpenStackView, body_of
from . import schemas, serializers
from .view_builders import VolumeViewBuilder

TRUE = ("", "1", "true", "yes", "on")


class VolumeListView(OpenStackView):
    detail = False

    @schemas.volume_list
    def get(self, request):
        params, page = request.query_params, page_params(request)
        volumes = selectors.volume_list(
            context=self.context, all_tenants=params.get("all_tenants", "0").lower() in TRUE,
            filters={k: params[k] for k in ("name", "status") if params.get(k)}, limit=page.limit,
            marker=page.marker)
        builder = VolumeViewBuilder(request, self.context)
        body = {"volumes": [builder.detail(v) if self.detail else builder.basic(v) for v in volumes]}
        body.update(next_links(request, "volumes_links", page=page, items=volumes, marker_of=lambda v: v.id))
        return Response(body)

    @schemas.volume_create
    def post(self, request):
        data = serializers.VolumeCreate(data=body_of(request, "volume"))
        data.is_valid(raise_exception=True)
        v = data.validated_data
        image = None
        if v.get("imageRef"):
            try:
                image = image_get(context=self.context, image_id=v["imageRef"])
            except NotFound as exc:  # Cinder: a bad imageRef is a bad request
                raise BadRequest(f"Invalid image identifier or unable to access requested image "
                                 f"{v['imageRef']}.") from exc
        volume = volume_create(context=self.context, size=v["size"], name=v.get("name") or "",
                               description=v.get("description") or "", multiattach=v.get("multiattach", False),
                               availability_zone=v.get("availability_zone"), metadata=v.get("metadata"),
                               image=image)
        return Response({"volume": VolumeViewBuilder(request, self.context).created(volume)}, status=202)


@extend_schema_view(get=schemas.volume_list_detail)
class VolumeDetailListView(VolumeListView):
    detail = True
    http_method_names = ["get", "head", "options"]


class VolumeView(OpenStackView):
    @schemas.volume_show
    def get(self, request, volume_id):
        volume = selectors.volume_get(context=self.context, volume_id=volume_id)
        return Response({"volume": VolumeViewBuilder(request, self.context).detail(volume)})

    @schemas.volume_delete
    def delete(self, request, volume_id):
        volume = selectors.volume_get(context=self.context, volume_id=volume_id)
        volume_delete(context=self.context, volume=volume)
        return Response(status=202)
