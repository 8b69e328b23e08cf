"""/compute/v2.1/servers/{id}/metadata[/{key}]: a server's metadata, as Nova's server_metadata API."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.compute.services.server_metadata import (server_metadata_delete_item,
                                                               server_metadata_update)

from ..common.schemas import UNSCOPED, nova_errors
from ..common.views import OpenStackView
from .serializers import MetadataField

TAGS = ["compute"]


def _validated(request, key: str) -> dict:
    data = request.data
    if not isinstance(data, dict) or key not in data:
        raise BadRequest(f"Invalid input: the request body must be a JSON object with a '{key}' object.")
    field = MetadataField()
    try:
        return field.run_validation(data[key])
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({key: exc.detail})


# --- documentation ---------------------------------------------------------------------------------

class Metadata(serializers.Serializer):
    metadata = serializers.DictField(child=serializers.CharField(max_length=255),
                                     help_text="Keys: 1-255 of `[a-zA-Z0-9-_:. ]`; string values up to 255.")


class MetaItem(serializers.Serializer):
    meta = serializers.DictField(child=serializers.CharField(max_length=255), help_text="Exactly one item.")


STATE = "The server is building, in ERROR, or has a task in flight (Nova allows metadata changes only in "\
        "ACTIVE, PAUSED, SUSPENDED and SHUTOFF)."
ERRORS = nova_errors({400: "Invalid body, key or value.", 403: "Over the metadata_items quota, or " + UNSCOPED,
                      404: "No such server.", 409: STATE})


# --- views -----------------------------------------------------------------------------------------

class ServerMetadataView(OpenStackView):
    @extend_schema(operation_id="compute_server_metadata_list", summary="Show a server's metadata", tags=TAGS,
                   responses={200: Metadata, **nova_errors({403: UNSCOPED, 404: "No such server."})})
    def get(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        return Response({"metadata": instance.metadata or {}})

    @extend_schema(operation_id="compute_server_metadata_update", summary="Add or change metadata items",
                   tags=TAGS, request=Metadata, responses={200: Metadata, **ERRORS})
    def post(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        metadata = server_metadata_update(context=self.context, instance=instance,
                                          metadata=_validated(request, "metadata"), replace=False)
        return Response({"metadata": metadata})

    @extend_schema(operation_id="compute_server_metadata_replace", summary="Replace all metadata", tags=TAGS,
                   request=Metadata, responses={200: Metadata, **ERRORS})
    def put(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        metadata = server_metadata_update(context=self.context, instance=instance,
                                          metadata=_validated(request, "metadata"), replace=True)
        return Response({"metadata": metadata})


class ServerMetadataItemView(OpenStackView):
    @extend_schema(operation_id="compute_server_metadata_show", summary="Show one metadata item", tags=TAGS,
                   responses={200: MetaItem, **nova_errors({403: UNSCOPED, 404: "No such server or key."})})
    def get(self, request, server_id, key):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        metadata = instance.metadata or {}
        if key not in metadata:
            raise NotFound("Metadata item was not found")
        return Response({"meta": {key: metadata[key]}})

    @extend_schema(operation_id="compute_server_metadata_set", summary="Set one metadata item", tags=TAGS,
                   request=MetaItem, responses={200: MetaItem, **ERRORS})
    def put(self, request, server_id, key):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        meta = _validated(request, "meta")
        if len(meta) > 1:
            raise BadRequest("Request body contains too many items")
        if key not in meta:
            raise BadRequest("Request body and URI mismatch")
        server_metadata_update(context=self.context, instance=instance, metadata=meta, replace=False)
        return Response({"meta": meta})

    @extend_schema(operation_id="compute_server_metadata_delete", summary="Delete one metadata item", tags=TAGS,
                   responses={204: OpenApiResponse(description="Deleted. No body."),
                              **nova_errors({403: UNSCOPED, 404: "No such server or key.", 409: STATE})})
    def delete(self, request, server_id, key):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        server_metadata_delete_item(context=self.context, instance=instance, key=key)
        return Response(status=204)
