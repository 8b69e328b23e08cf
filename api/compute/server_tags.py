"""/servers/{id}/tags and /servers/{id}/tags/{tag} (microversion 2.26, Nova's server_tags)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.compute.selectors_server_extras import instance_tags
from compute_platform.compute.services.tags import tag_add, tag_remove, tags_replace

from ..common.links import base_url
from ..common.microversions import version_at_least
from ..common.schemas import UNSCOPED, doc_serializer, nova_errors
from ..common.views import OpenStackView
from .server_request_versions import TAG, TAGS, validated

TagList = doc_serializer("ServerTagList", {"tags": fields.ListField(child=fields.CharField())})
ERRORS = nova_errors({403: UNSCOPED, 404: "No such server (or tag), or a microversion below 2.26.",
                      409: "The server is not in a stable state (a task in flight)."})


class _TagView(OpenStackView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not version_at_least(request, "2.26"):
            raise NotFound("The resource could not be found.")  # Nova: the route exists from 2.26

    def instance(self, server_id):
        return selectors.instance_get(context=self.context, instance_uuid=server_id)


class ServerTagListView(_TagView):
    @extend_schema(operation_id="compute_server_tags_list", summary="List a server's tags (2.26)",
                   tags=["compute"], responses={200: TagList, **ERRORS})
    def get(self, request, server_id):
        instance = self.instance(server_id)
        return Response({"tags": instance_tags(instance_ids=[instance.id]).get(instance.id, [])})

    @extend_schema(operation_id="compute_server_tags_replace", summary="Replace a server's tags (2.26)",
                   tags=["compute"], request=TagList, responses={200: TagList, **ERRORS})
    def put(self, request, server_id):
        data = request.data if isinstance(request.data, dict) else {}
        if set(data) != {"tags"}:
            raise BadRequest("Invalid input: the body must be {\"tags\": [...]}")
        tags = validated("tags", data["tags"], TAGS)
        return Response({"tags": tags_replace(context=self.context, instance=self.instance(server_id), tags=tags)})

    @extend_schema(operation_id="compute_server_tags_delete", summary="Remove all of a server's tags (2.26)",
                   tags=["compute"], responses={204: OpenApiResponse(description="Removed."), **ERRORS})
    def delete(self, request, server_id):
        tag_remove(context=self.context, instance=self.instance(server_id))
        return Response(status=204)


class ServerTagView(_TagView):
    @extend_schema(operation_id="compute_server_tag_check", summary="Whether a server has a tag (2.26)",
                   tags=["compute"], responses={204: OpenApiResponse(description="It has."), **ERRORS})
    def get(self, request, server_id, tag):
        instance = self.instance(server_id)
        if tag not in instance_tags(instance_ids=[instance.id]).get(instance.id, []):
            raise NotFound(f"Instance {server_id} has no tag '{tag}'")
        return Response(status=204)

    @extend_schema(operation_id="compute_server_tag_add", summary="Add a tag to a server (2.26)",
                   tags=["compute"], request={"application/json": OpenApiTypes.OBJECT},  # Nova reads no body
                   responses={201: OpenApiResponse(description="Added (Location names the tag)."),
                              204: OpenApiResponse(description="The server had it already."), **ERRORS})
    def put(self, request, server_id, tag):
        validated("tag", tag, TAG)
        instance = self.instance(server_id)
        added = tag_add(context=self.context, instance=instance, tag=tag)
        response = Response(status=201 if added else 204)
        response["Location"] = f"{base_url(request)}/compute/v2.1/servers/{instance.uuid}/tags/{tag}"
        return response

    @extend_schema(operation_id="compute_server_tag_delete", summary="Remove a tag from a server (2.26)",
                   tags=["compute"], responses={204: OpenApiResponse(description="Removed."), **ERRORS})
    def delete(self, request, server_id, tag):
        tag_remove(context=self.context, instance=self.instance(server_id), tag=tag)
        return Response(status=204)
