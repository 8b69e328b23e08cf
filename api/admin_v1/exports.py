"""/api/v1/exports: the NFS (or bind) exports volumes live on. Admin only."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from compute_platform.volumes import selectors
from compute_platform.volumes.services.exports import export_create, export_delete, export_update

from ..common.schemas import ADMIN_ONLY, nova_errors
from ..common.timefmt import iso_usec
from ..common.views import OpenStackView, body_of

TAGS = ["admin"]


class ExportInput(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    share = serializers.CharField(max_length=1024, help_text="`server:/path` for nfs; an absolute directory for bind.")
    fstype = serializers.ChoiceField(choices=["nfs", "bind"], default="nfs")
    mount_options = serializers.CharField(max_length=1024, required=False, allow_blank=True, default="",
                                          help_text="One comma-separated word, as `mount -o` takes it.")
    enabled = serializers.BooleanField(required=False, default=True,
                                       help_text="A disabled export takes no new volumes.")


class ExportUpdateInput(ExportInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required, field.default = False, serializers.empty


class ExportCreateRequest(serializers.Serializer):
    export = ExportInput()


class ExportUpdateRequest(serializers.Serializer):
    export = ExportUpdateInput()


class ExportBody(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    share = serializers.CharField()
    fstype = serializers.CharField()
    mount_options = serializers.CharField()
    enabled = serializers.BooleanField()
    volume_count = serializers.IntegerField(help_text="Volumes on it (not deleted).")
    created_at = serializers.CharField()
    updated_at = serializers.CharField()


class ExportResponse(serializers.Serializer):
    export = ExportBody()


class ExportListResponse(serializers.Serializer):
    exports = ExportBody(many=True)


def export_body(export) -> dict:
    return {"id": export.pk, "name": export.name, "share": export.share, "fstype": export.fstype,
            "mount_options": export.mount_options, "enabled": export.enabled,
            "volume_count": getattr(export, "volume_count", 0), "created_at": iso_usec(export.created_at),
            "updated_at": iso_usec(export.updated_at)}


class ExportListView(OpenStackView):
    admin_only = True

    @extend_schema(operation_id="admin_export_list", summary="List exports", tags=TAGS,
                   responses={200: ExportListResponse, **nova_errors({403: ADMIN_ONLY})})
    def get(self, request):
        return Response({"exports": [export_body(e) for e in selectors.export_list()]})

    @extend_schema(operation_id="admin_export_create", summary="Add an export", tags=TAGS,
                   request=ExportCreateRequest,
                   responses={201: ExportResponse, **nova_errors({
                       400: "Invalid body (share not `server:/path` for nfs, not absolute for bind, ...).",
                       403: ADMIN_ONLY, 409: "The name or share is taken."})})
    def post(self, request):
        data = ExportInput(data=body_of(request, "export"))
        data.is_valid(raise_exception=True)
        export = export_create(**data.validated_data)
        return Response({"export": export_body(selectors.export_get(export_id=export.pk))}, status=201)


class ExportView(OpenStackView):
    admin_only = True

    @extend_schema(operation_id="admin_export_show", summary="Show an export", tags=TAGS,
                   responses={200: ExportResponse, **nova_errors({403: ADMIN_ONLY, 404: "No such export."})})
    def get(self, request, export_id):
        return Response({"export": export_body(selectors.export_get(export_id=export_id))})

    @extend_schema(operation_id="admin_export_update", summary="Change an export", tags=TAGS,
                   request=ExportUpdateRequest,
                   description="name, mount_options and enabled change freely; share and fstype only while "
                               "the export holds no volume (409 otherwise).",
                   responses={200: ExportResponse, **nova_errors({
                       400: "Invalid body.", 403: ADMIN_ONLY, 404: "No such export.",
                       409: "The name or share is taken, or share/fstype of an export holding volumes."})})
    def put(self, request, export_id):
        export = selectors.export_get(export_id=export_id)
        data = ExportUpdateInput(data=body_of(request, "export"), partial=True)
        data.is_valid(raise_exception=True)
        export_update(export=export, **data.validated_data)
        return Response({"export": export_body(selectors.export_get(export_id=export.pk))})

    @extend_schema(operation_id="admin_export_delete", summary="Remove an export", tags=TAGS,
                   responses={204: OpenApiResponse(description="Deleted."), **nova_errors({
                       403: ADMIN_ONLY, 404: "No such export.", 409: "Volumes still live on it."})})
    def delete(self, request, export_id):
        export_delete(export=selectors.export_get(export_id=export_id))
        return Response(status=204)
