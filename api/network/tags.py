"""/network/v2.0/<resources>/<id>/tags[/<tag>]: Neutron's standard-attr-tag on the resources that carry tags
(selectors.TAGGED_RESOURCES). Reads follow the resource's visibility, writes its update's (owner or admin):
404 otherwise."""
from rest_framework.response import Response

from compute_platform.network import selectors
from compute_platform.network.services import tags as services

from . import attributes
from .views import NetworkView


class TagsView(NetworkView):

    def get(self, request, resource_id, **kwargs):
        return Response({"tags": selectors.network_resource_tags(
            context=self.context, resource=self.resource_path, resource_id=resource_id)})

    def put(self, request, resource_id, **kwargs):
        tags = attributes.tags_validated(request.data)
        return Response({"tags": services.network_resource_tags_replace(
            context=self.context, resource=self.resource_path, resource_id=resource_id, tags=tags)})

    def delete(self, request, resource_id, **kwargs):
        services.network_resource_tags_clear(context=self.context, resource=self.resource_path,
                                             resource_id=resource_id)
        return Response(status=204)


class TagView(NetworkView):

    def get(self, request, resource_id, tag, **kwargs):
        selectors.network_resource_tag_get(context=self.context, resource=self.resource_path,
                                           resource_id=resource_id, tag=attributes.tag_validated(tag))
        return Response(status=204)

    def put(self, request, resource_id, tag, **kwargs):
        services.network_resource_tag_add(context=self.context, resource=self.resource_path,
                                          resource_id=resource_id, tag=attributes.tag_validated(tag))
        return Response(status=201)

    def delete(self, request, resource_id, tag, **kwargs):
        services.network_resource_tag_remove(context=self.context, resource=self.resource_path,
                                             resource_id=resource_id, tag=attributes.tag_validated(tag))
        return Response(status=204)
