"""GET /os-migrations (admin) and a server's live migrations: /servers/{id}/migrations[/{id}[/action]]."""
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.compute.selectors_migrations import (migration_list, migrations_after,
                                                           server_migration_get, server_migrations_in_progress)
from compute_platform.compute.services.instance_moves import migration_force_complete
from compute_platform.compute.services.migration_abort import migration_abort

from ..common.links import base_url
from ..common.microversions import version_at_least
from ..common.pagination import next_links, page_params
from ..common.timefmt import iso_usec
from ..common.views import OpenStackView
from . import migration_schemas as schemas

LIST_FILTERS = ("host", "status", "migration_type", "instance_uuid")


# Nova adds a self link only to a live migration that is still under way (its /servers/{id}/migrations entry).
LIVE_IN_PROGRESS = ("queued", "preparing", "running", "post-migrating")


def _common(m) -> dict:
    return {"id": m.pk, "uuid": str(m.uuid), "status": m.status, "source_compute": m.source_host.name,
            "source_node": m.source_host.name, "dest_compute": m.dest_host.name, "dest_node": m.dest_host.name,
            "dest_host": m.dest_host.host_ip, "created_at": iso_usec(m.created_at),
            "updated_at": iso_usec(m.updated_at)}


def _versioned(request, body: dict) -> dict:
    # Nova's os-migrations: `uuid` from 2.59 (migration_type and links from 2.23, in migration_body).
    if not version_at_least(request, "2.59"):
        del body["uuid"]
    return body


def migration_body(request, m) -> dict:
    """One os-migrations entry as Nova's at the request's version: migration_type and the self links of a
    live migration under way from 2.23, uuid from 2.59."""
    body = _versioned(request, _common(m))
    body.update(instance_uuid=str(m.instance.uuid), old_instance_type_id=m.old_flavor_id,
                new_instance_type_id=m.new_flavor_id)
    if version_at_least(request, "2.23"):
        body["migration_type"] = m.migration_type
        if m.migration_type == "live-migration" and m.status in LIVE_IN_PROGRESS:
            href = f"{base_url(request)}/compute/v2.1/servers/{m.instance.uuid}/migrations/{m.pk}"
            body["links"] = [{"rel": "self", "href": href}, {"rel": "bookmark", "href": href}]
    return body


def server_migration_body(request, m) -> dict:
    body = _versioned(request, _common(m))
    # Our live migrations report no progress counters (Nova's libvirt fills these while memory copies).
    body.update(server_uuid=str(m.instance.uuid), memory_total_bytes=None, memory_processed_bytes=None,
                memory_remaining_bytes=None, disk_total_bytes=None, disk_processed_bytes=None,
                disk_remaining_bytes=None)
    return body


class MigrationListView(OpenStackView):
    admin_only = True
    admin_policy = "os_compute_api:os-migrations:index"

    @schemas.migration_list
    def get(self, request):
        filters = {k: request.query_params[k] for k in LIST_FILTERS if request.query_params.get(k)}
        rows = migration_list(filters=filters)
        if not version_at_least(request, "2.59"):  # paging (by uuid) came with 2.59
            return Response({"migrations": [migration_body(request, m) for m in rows]})
        page = page_params(request)
        if page.marker:
            rows = migrations_after(rows=rows, marker=page.marker)
        items = [migration_body(request, m) for m in rows[:page.limit]]
        return Response({"migrations": items, **next_links(request, "migrations_links", page=page, items=items,
                                                           marker_of=lambda m: m["uuid"])})


class ServerMigrationListView(OpenStackView):
    admin_only = True
    admin_policy = "os_compute_api:servers:migrations:index"

    @schemas.server_migration_list
    def get(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        return Response({"migrations": [server_migration_body(request, m)
                                        for m in server_migrations_in_progress(instance=instance)]})


class ServerMigrationView(OpenStackView):
    admin_only = True
    admin_policy = "os_compute_api:servers:migrations:show"

    @schemas.server_migration_show
    def get(self, request, server_id, migration_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        return Response({"migration": server_migration_body(request, server_migration_get(instance=instance,
                                                                                 migration_id=migration_id))})

    @schemas.server_migration_abort
    def delete(self, request, server_id, migration_id):
        """Abort a running live migration (2.24)."""
        if not version_at_least(request, "2.24"):
            raise NotFound("The resource could not be found.")
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        migration_abort(context=self.context, instance=instance, migration_id=migration_id)
        return Response(status=202)


class ServerMigrationActionView(OpenStackView):
    admin_only = True
    admin_policy = "os_compute_api:servers:migrations:force_complete"

    @schemas.server_migration_force_complete
    def post(self, request, server_id, migration_id):
        if not isinstance(request.data, dict) or "force_complete" not in request.data:
            raise BadRequest("The action body must be {\"force_complete\": null}.")
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        if not str(migration_id).isdigit():
            raise BadRequest(f"Invalid migration id {migration_id}.")
        migration_force_complete(context=self.context, instance=instance, migration_id=int(migration_id))
        return Response(status=202)
