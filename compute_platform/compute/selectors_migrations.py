"""Reads of migrations: os-migrations (admin) and a server's own (/servers/{id}/migrations)."""
import uuid as uuidlib

from django.db.models import Q

from .exceptions import BadRequest, NotFound
from .models import Migration
from .models.migrations import MigrationStatus, MigrationType

_RELATED = ("instance", "source_host", "dest_host", "old_flavor", "new_flavor")


def migration_list(*, filters: dict):
    """Every migration, newest first, filtered as Nova's os-migrations (host, status, type, instance)."""
    qs = Migration.objects.select_related(*_RELATED)
    if filters.get("host"):
        qs = qs.filter(Q(source_host__name=filters["host"]) | Q(dest_host__name=filters["host"]))
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("migration_type"):
        qs = qs.filter(migration_type=filters["migration_type"])
    if filters.get("instance_uuid"):
        try:
            instance_uuid = uuidlib.UUID(filters["instance_uuid"])
        except ValueError:  # no server has it: an empty list, as Nova's (not a 500 from the UUID column)
            return Migration.objects.none()
        qs = qs.filter(instance__uuid=instance_uuid)
    return qs.order_by("-created_at", "-id")


def migrations_after(*, rows, marker: str):
    """The rows of a newest-first migration list that come after the migration whose uuid is `marker` (Nova's
    2.59 paging); 400 for a marker that names no migration."""
    try:
        anchor = Migration.objects.filter(uuid=uuidlib.UUID(marker)).values("created_at", "id").first()
    except ValueError:
        anchor = None
    if anchor is None:
        raise BadRequest(f"Marker {marker} could not be found.")
    return rows.filter(Q(created_at__lt=anchor["created_at"]) |
                       Q(created_at=anchor["created_at"], id__lt=anchor["id"]))


def server_migrations_in_progress(*, instance):
    """A server's live migrations under way (what Nova's /servers/{id}/migrations lists)."""
    return (Migration.objects.select_related(*_RELATED)
            .filter(instance=instance, migration_type=MigrationType.LIVE)
            .exclude(status__in=MigrationStatus.CLOSED).order_by("-created_at", "-id"))


def server_migration_get(*, instance, migration_id: str) -> Migration:
    missing = NotFound(f"In-progress live migration {migration_id} is not found for server {instance.uuid}.")
    if not str(migration_id).isdigit():
        raise missing
    m = server_migrations_in_progress(instance=instance).filter(pk=int(migration_id)).first()
    if m is None:
        raise missing
    return m


def migrations_open_on_host(*, host: str):
    """The moves a host takes part in that are not closed: their guests and mounts are no strays there."""
    return (Migration.objects.select_related(*_RELATED)
            .filter(Q(source_host__name=host) | Q(dest_host__name=host))
            .exclude(status__in=MigrationStatus.CLOSED).order_by("id"))


def moving_instance_uuids(*, host: str) -> set[str]:
    """The instances with an open move from or to the host (their guests there are no strays)."""
    return {str(u) for u in migrations_open_on_host(host=host).values_list("instance__uuid", flat=True)}


def instance_move_open(*, instance) -> bool:
    """Whether the instance is in a move that is not closed. Nova's evacuate shares `rebuilding` with rebuild:
    with an open move the task_state is the move's (tasks/migration_recovery.py), not a rebuild's."""
    return Migration.objects.filter(instance=instance).exclude(status__in=MigrationStatus.CLOSED).exists()
