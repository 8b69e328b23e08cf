"""GET/DELETE /servers/{id}/os-server-password (Nova 2.1): the password the guest posted, encrypted with the
server's key pair (empty until a guest posts one; there is no metadata service here to post it through yet)."""
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.services.instance_password import instance_password_clear

from ..common.schemas import nova_errors
from ..common.views import OpenStackView
from .schemas import TAGS


class ServerPasswordView(OpenStackView):
    @extend_schema(operation_id="compute_server_password_show", summary="Show a server's encrypted password",
                   tags=TAGS, responses={200: inline_serializer("ServerPassword", {
                       "password": serializers.CharField(help_text="Base64 of the encrypted password, or ''.")}),
                       **nova_errors({404: "No such server."})})
    def get(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        return Response({"password": instance.encrypted_password})

    @extend_schema(operation_id="compute_server_password_clear", summary="Clear a server's encrypted password",
                   tags=TAGS, responses={204: OpenApiResponse(description="Cleared. No body."),
                                         **nova_errors({403: "A reader may not clear it.",
                                                        404: "No such server."})})
    def delete(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        instance_password_clear(context=self.context, instance=instance)
        return Response(status=204)
