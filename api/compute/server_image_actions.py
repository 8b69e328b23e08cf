"""Server actions of issue 11: createBackup (a rotated snapshot) and injectNetworkInfo (admin), handlers of the
(view, request, instance, value) shape that ServerActionView dispatches through its MOVE_ACTIONS table."""
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.compute.exceptions import BadRequest, Forbidden
from compute_platform.compute.services.instance_backup import instance_create_backup
from compute_platform.compute.services.instance_network_info import instance_inject_network_info

from ..common.links import base_url
from ..common.microversions import version_at_least
from .serializers import MetadataField


class CreateBackup(serializers.Serializer):
    """Nova's create_backup schema: name, backup_type and rotation (>= 0, an integer or its digits) required."""
    name = serializers.CharField(max_length=255, trim_whitespace=False)
    backup_type = serializers.CharField(allow_blank=True, trim_whitespace=False)
    rotation = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    metadata = MetadataField(required=False)

    def validate_name(self, value):
        if value != value.strip():  # Nova's `name` (2.1): no leading or trailing whitespace
            raise serializers.ValidationError("name may not have leading or trailing whitespace")
        return value


def create_backup(view, request, instance, value):
    if not isinstance(value, dict) or set(value) - set(CreateBackup().fields):
        raise BadRequest("Invalid input for field/attribute createBackup: it must be an object with name, "
                         "backup_type, rotation and optionally metadata.")
    data = CreateBackup(data=value)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    image = instance_create_backup(context=view.context, instance=instance, name=v["name"],
                                   backup_type=v["backup_type"], rotation=v["rotation"], metadata=v.get("metadata"))
    if version_at_least(request, "2.45"):
        return Response({"image_id": str(image.id)}, status=202)
    response = Response(status=202)
    if v["rotation"] > 0:  # as Nova: no Location for a backup that the rotation of 0 deletes at once
        response["Location"] = f"{base_url(request)}/image/v2/images/{image.id}"
    return response


def inject_network_info(view, request, instance, value):
    if not view.context.is_admin:
        raise Forbidden("Policy doesn't allow os_compute_api:os-admin-actions:inject_network_info to be performed.")
    instance_inject_network_info(context=view.context, instance=instance)
    return Response(status=202)


IMAGE_NETWORK_ACTIONS = {"createBackup": create_backup, "injectNetworkInfo": inject_network_info}
