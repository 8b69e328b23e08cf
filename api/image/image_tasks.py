"""GET /v2/images/{id}/tasks (Glance 2.12): the import tasks of an image.

Images here are written directly (an upload, or a server snapshot from its host), never through Glance's task
engine, so every visible image has none; the endpoint exists so clients that wait on an image's tasks (Tempest
does after each snapshot) see that there is nothing to wait for."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.images.selectors import image_get

from ..common.schemas import UNSCOPED, nova_errors
from ..common.views import OpenStackView
from .schemas import TAGS


class ImageTasksView(OpenStackView):
    @extend_schema(operation_id="image_image_tasks", summary="List an image's import tasks (always none)",
                   tags=TAGS,
                   responses={200: inline_serializer("ImageTasks", {"tasks": serializers.ListField(
                       child=serializers.DictField())}),
                       **nova_errors({403: UNSCOPED, 404: "No such image visible to the project."})})
    def get(self, request, image_id):
        image_get(context=self.context, image_id=image_id)  # 404 for an image the caller cannot see
        return Response({"tasks": []})
