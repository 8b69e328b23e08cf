"""/volume/v3/{project_id}/volumes/{id}/action: Cinder's volume actions (os-set_bootable)."""
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest
from compute_platform.volumes import selectors
from compute_platform.volumes.services.volumes import volume_set_bootable

from ..common.views import OpenStackView
from . import schemas, serializers


class VolumeActionView(OpenStackView):
    @schemas.volume_action
    def post(self, request, volume_id):
        body = request.data if isinstance(request.data, dict) else {}
        if set(body) != {"os-set_bootable"}:
            raise BadRequest(f"Invalid volume action: expected one of ['os-set_bootable'], got {sorted(body)}.")
        data = serializers.VolumeSetBootable(data=body["os-set_bootable"])
        data.is_valid(raise_exception=True)
        volume = selectors.volume_get(context=self.context, volume_id=volume_id)
        volume_set_bootable(context=self.context, volume=volume, bootable=data.validated_data["bootable"])
        return Response(status=200)
