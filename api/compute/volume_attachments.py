"""/compute/v2.1/servers/{id}/os-volume_attachments: list, attach, show, detach (Nova v2.1 shapes).

An attachment's id is its volume's id, as in Nova before 2.89."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest
from compute_platform.volumes import selectors as volume_selectors
from compute_platform.volumes.services.attachments import volume_attach, volume_detach

from ..common.microversions import version_at_least
from ..common.schemas import UNSCOPED, nova_errors
from ..common.views import OpenStackView, body_of
from .server_request_versions import TAG, versioned_keys

ATTACH = {"tag": [("2.49", None, TAG)], "delete_on_termination": [("2.79", None, {"type": "boolean"})]}

TAGS = ["compute"]


class AttachRequestBody(serializers.Serializer):
    volumeId = serializers.UUIDField()
    device = serializers.CharField(required=False, allow_null=True, max_length=32,
                                   help_text="`/dev/vdb` .. `/dev/vdz`; omitted or null: the next free one.")
    tag = serializers.CharField(required=False, help_text="A device tag (microversion 2.49).")
    delete_on_termination = serializers.BooleanField(required=False, help_text="Delete the volume with the "
                                                     "server (microversion 2.79).")


class AttachRequest(serializers.Serializer):
    volumeAttachment = AttachRequestBody()


class AttachmentBody(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="The volume's id (before microversion 2.89).")
    attachment_id = serializers.UUIDField(required=False, help_text="Microversion 2.89.")
    bdm_uuid = serializers.UUIDField(required=False, help_text="Microversion 2.89.")
    tag = serializers.CharField(required=False, allow_null=True, help_text="Microversion 2.70.")
    delete_on_termination = serializers.BooleanField(required=False, help_text="Microversion 2.79.")
    volumeId = serializers.UUIDField()
    serverId = serializers.UUIDField()
    device = serializers.CharField()


class AttachmentResponse(serializers.Serializer):
    volumeAttachment = AttachmentBody()


class AttachmentListResponse(serializers.Serializer):
    volumeAttachments = AttachmentBody(many=True)


def attachment_body(request, att, server_id) -> dict:
    """Nova's volumeAttachment at the request's microversion: `tag` from 2.70, `delete_on_termination` from
    2.79, and from 2.89 `attachment_id` and `bdm_uuid` instead of `id` (the attachment row is both the volume
    service's attachment and the server's block device mapping here)."""
    body = {"volumeId": str(att.volume_id), "serverId": str(server_id), "device": att.device}
    if version_at_least(request, "2.89"):
        body.update({"attachment_id": str(att.id), "bdm_uuid": str(att.id)})
    else:
        body["id"] = str(att.volume_id)
    if version_at_least(request, "2.70"):
        body["tag"] = att.tag
    if version_at_least(request, "2.79"):
        body["delete_on_termination"] = att.delete_on_termination
    return body


class VolumeAttachmentListView(OpenStackView):
    @extend_schema(operation_id="compute_volume_attachment_list", summary="List a server's volume attachments",
                   tags=TAGS, responses={200: AttachmentListResponse,
                                         **nova_errors({403: UNSCOPED, 404: "No such server in the project."})})
    def get(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        atts = volume_selectors.attachment_list_for_instance(instance=instance)
        return Response({"volumeAttachments": [attachment_body(request, a, instance.uuid) for a in atts]})

    @extend_schema(
        operation_id="compute_volume_attachment_create", summary="Attach a volume to a server", tags=TAGS,
        request=AttachRequest,
        description="Answers 200 with the attachment (device chosen); the host mounts the volume's export "
                    "and plugs the volume in asynchronously: the volume turns `in-use`, or back to `available` "
                    "with an error event in the server's `attach_volume` action.",
        responses={200: AttachmentResponse, **nova_errors({
            400: "Bad body; the volume is not available (or attached and not multiattach); no free device.",
            403: UNSCOPED, 404: "No such server or volume in the project.",
            409: "The server's state does not allow it now (building, error, or a task in flight)."})})
    def post(self, request, server_id):
        body = body_of(request, "volumeAttachment")
        extras = versioned_keys(request, body, ATTACH)
        data = AttachRequestBody(data=body)
        data.is_valid(raise_exception=True)
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        volume = volume_selectors.volume_get(context=self.context, volume_id=data.validated_data["volumeId"])
        if volume.multiattach and not version_at_least(request, "2.60"):
            raise BadRequest("Multiattach volumes are only supported starting with compute API version 2.60.")
        att = volume_attach(context=self.context, instance=instance, volume=volume,
                            device=data.validated_data.get("device"), tag=extras.get("tag"),
                            delete_on_termination=extras.get("delete_on_termination", False),
                            shelved_ok=version_at_least(request, "2.20"))
        if version_at_least(request, "2.101"):
            return Response(status=202)  # Nova answers 202 with no body from 2.101
        return Response({"volumeAttachment": attachment_body(request, att, instance.uuid)})


class VolumeAttachmentView(OpenStackView):
    @extend_schema(operation_id="compute_volume_attachment_show", summary="Show a volume attachment", tags=TAGS,
                   responses={200: AttachmentResponse, **nova_errors({
                       403: UNSCOPED, 404: "No such server, or the volume is not attached to it."})})
    def get(self, request, server_id, volume_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        att = volume_selectors.attachment_get_for_instance(instance=instance, volume_id=volume_id)
        return Response({"volumeAttachment": attachment_body(request, att, instance.uuid)})

    @extend_schema(operation_id="compute_volume_attachment_delete", summary="Detach a volume from a server",
                   tags=TAGS, description="Accepted with 202; the host unplugs the volume, then releases its "
                                          "export's mount (unmounting it if no other attachment needs it).",
                   responses={202: OpenApiResponse(description="Detach accepted. No body."), **nova_errors({
                       400: "The volume is still attaching.", 403: UNSCOPED,
                       404: "No such server, or the volume is not attached to it.",
                       409: "The server's state does not allow it now."})})
    def delete(self, request, server_id, volume_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        att = volume_selectors.attachment_get_for_instance(instance=instance, volume_id=volume_id)
        volume_detach(context=self.context, instance=instance, attachment=att,
                      shelved_ok=version_at_least(request, "2.20"))
        return Response(status=202)
