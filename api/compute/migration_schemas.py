"""OpenAPI declarations of the move actions and of os-migrations / a server's migrations (documentation only)."""
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from ..common.schemas import ADMIN_ONLY, doc_serializer, nova_errors
from . import server_moves

TAGS = ["compute"]
_NULL = serializers.JSONField(allow_null=True, help_text="`null` (ignored).")

# Added to schemas.SERVER_ACTIONS: the bodies of the move actions.
MOVE_ACTIONS = [
    doc_serializer("ResizeAction", {"resize": server_moves.Resize()}),
    doc_serializer("ConfirmResizeAction", {"confirmResize": _NULL}),
    doc_serializer("RevertResizeAction", {"revertResize": _NULL}),
    doc_serializer("MigrateAction", {"migrate": server_moves.Migrate(allow_null=True)}),
    doc_serializer("MigrateLiveAction", {"os-migrateLive": server_moves.MigrateLive()}),
    doc_serializer("EvacuateAction", {"evacuate": server_moves.Evacuate()}),
]


class Migration(serializers.Serializer):
    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    status = serializers.CharField()
    instance_uuid = serializers.UUIDField()
    migration_type = serializers.ChoiceField(choices=["resize", "migration", "live-migration", "evacuation"])
    source_compute = serializers.CharField()
    source_node = serializers.CharField()
    dest_compute = serializers.CharField()
    dest_node = serializers.CharField()
    dest_host = serializers.CharField()
    old_instance_type_id = serializers.IntegerField()
    new_instance_type_id = serializers.IntegerField()
    created_at = serializers.CharField()
    updated_at = serializers.CharField()


class MigrationList(serializers.Serializer):
    migrations = Migration(many=True)


class ServerMigration(serializers.Serializer):
    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    server_uuid = serializers.UUIDField()
    status = serializers.CharField()
    source_compute = serializers.CharField()
    dest_compute = serializers.CharField()
    created_at = serializers.CharField()
    updated_at = serializers.CharField()


class ServerMigrationList(serializers.Serializer):
    migrations = ServerMigration(many=True)


class ServerMigrationResponse(serializers.Serializer):
    migration = ServerMigration()


migration_list = extend_schema(
    operation_id="compute_migrations_list", summary="List migrations (admin)", tags=TAGS,
    description="Every resize, cold and live migration and evacuation, newest first.",
    parameters=[OpenApiParameter(p, str, required=False) for p in ("host", "status", "migration_type",
                                                                   "instance_uuid")],
    responses={200: MigrationList, **nova_errors({403: ADMIN_ONLY})})

server_migration_list = extend_schema(
    operation_id="compute_server_migrations_list", summary="List a server's live migrations in progress (admin)",
    tags=TAGS, responses={200: ServerMigrationList, **nova_errors({403: ADMIN_ONLY, 404: "No such server."})})

server_migration_show = extend_schema(
    operation_id="compute_server_migration_show", summary="Show a live migration in progress (admin)", tags=TAGS,
    responses={200: ServerMigrationResponse,
               **nova_errors({403: ADMIN_ONLY, 404: "No such server or live migration in progress."})})

server_migration_force_complete = extend_schema(
    operation_id="compute_server_migration_force_complete", summary="Force a live migration to complete (admin)",
    tags=TAGS, request=doc_serializer("ForceCompleteAction", {"force_complete": _NULL}),
    responses={202: OpenApiResponse(description="Accepted."),
               **nova_errors({400: "The migration is not a running live migration.", 403: ADMIN_ONLY,
                              404: "No such server or migration."})})

server_migration_abort = extend_schema(
    operation_id="compute_server_migration_abort", summary="Abort a running live migration (admin, 2.24)",
    tags=TAGS, request=None,
    responses={202: OpenApiResponse(description="Accepted: the source stops it; the migration ends `cancelled`."),
               **nova_errors({400: "The migration is not a running live migration.", 403: ADMIN_ONLY,
                              404: "No such server or migration (or below 2.24).",
                              409: "The server is not migrating."})})
