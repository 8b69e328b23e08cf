"""/compute/v2.1/servers: create, list, detail, show, delete."""
from drf_spectacular.utils import extend_schema_view
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.exceptions import BadRequest, NotFound
from compute_platform.compute.services.instance_update import instance_update
from compute_platform.compute.services.instances import instance_create, instance_delete
from compute_platform.images.selectors import image_get
from compute_platform.network.selectors_instances import instance_network_info, instance_uuids_by_ip

from ..common.gcpause import gc_paused
from ..common.microversions import version_at_least
from ..common.pagination import next_links, page_params
from ..common.tag_filters import tag_filters
from ..common.views import OpenStackView, body_of
from . import schemas, serializers, server_request_versions
from .server_request_versions import versioned_keys
from .view_builders import ServerViewBuilder

LIST_FILTERS = ("name", "status", "host", "flavor", "image", "project_id", "tenant_id", "changes-since",
                "reservation_id")


def _list_filters(request) -> dict:
    params = request.query_params
    filters = {k: params[k] for k in LIST_FILTERS if params.get(k)}
    if "tenant_id" in filters:
        filters["project_id"] = filters.pop("tenant_id")
    if version_at_least(request, "2.66") and params.get("changes-before"):
        filters["changes-before"] = params["changes-before"]
    for key in ("changes-since", "changes-before"):
        if key in filters:
            from django.utils.dateparse import parse_datetime

            parsed = parse_datetime(filters[key])
            if parsed is None:
                raise BadRequest(f"Invalid {key} value: {filters[key]}")
            filters[key] = parsed
    if "changes-since" in filters and "changes-before" in filters and \
            filters["changes-before"] < filters["changes-since"]:
        raise BadRequest("The value of changes-since must be less than or equal to changes-before.")
    if version_at_least(request, "2.26"):
        filters.update(tag_filters(params, repeated_adds=False))
    filters["strict_status"] = version_at_least(request, "2.38")
    all_tenants = params.get("all_tenants", "0").lower()
    filters["all_tenants"] = all_tenants in ("", "1", "true", "yes", "on")
    filters["deleted"] = params.get("deleted", "false").lower() in ("1", "true", "yes")
    for key, version in (("ip", 4), ("ip6", 6)):  # the servers with a fixed address containing it (Nova's)
        if params.get(key):
            found = instance_uuids_by_ip(pattern=params[key], version=version)
            filters["uuids"] = found if "uuids" not in filters else filters["uuids"] & found
    return filters


class ServerListView(OpenStackView):
    detail = False

    @schemas.server_list
    def get(self, request):
        page = page_params(request)
        with gc_paused():  # up to API_MAX_LIMIT rows and bodies, none cyclic
            rows = selectors.instance_list(context=self.context, filters=_list_filters(request), limit=page.limit,
                                           marker=page.marker)
            builder = ServerViewBuilder(request, self.context)
            if self.detail:
                faults = selectors.instance_latest_faults(rows)
                nets = instance_network_info(instance_uuids=[r["server_id"] for r in rows if r["has_ports"]])
                servers = [builder.detail(r, faults.get(r["id"]), nets.get(r["server_id"])) for r in rows]
            else:
                servers = [builder.basic(r) for r in rows]
        return Response({"servers": servers, **next_links(request, "servers_links", page=page, items=rows,
                                                          marker_of=lambda r: r["server_id"])})

    @schemas.server_create
    def post(self, request):
        body = body_of(request, "server")
        extras = versioned_keys(request, body, server_request_versions.CREATE)
        data = serializers.ServerCreate(data=body)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            flavor = selectors.flavor_get(flavorid=v["flavorRef"], context=self.context)
        except NotFound as exc:  # Nova: a bad flavorRef is a bad request, not a missing resource
            raise BadRequest(exc.message) from exc
        # No imageRef: the image of a local boot mapping (Nova reads it there), else boot from a volume
        # (block_device_mapping_v2, checked by the service).
        image_ref = v["imageRef"] or next((m.get("uuid") for m in v.get("block_device_mapping_v2") or []
                                           if m.get("source_type") == "image" and m.get("boot_index") == 0
                                           and m.get("destination_type") in (None, "local")), None)
        image = None
        if image_ref:
            try:
                image = image_get(context=self.context, image_id=image_ref)
            except NotFound as exc:
                raise BadRequest(f"Image {image_ref} could not be found.") from exc
        # When given, an object (not [] or null). Nova takes either key; openstacksdk sends the second.
        hints = request.data.get("os:scheduler_hints", request.data.get("OS-SCH-HNT:scheduler_hints", {}))
        if not isinstance(hints, dict):
            raise BadRequest("os:scheduler_hints must be an object")
        networks = v.get("networks")
        if networks in ("auto", "none") and not version_at_least(request, "2.37"):
            raise BadRequest("networks 'auto' and 'none' need microversion 2.37 or above")
        if networks is None and version_at_least(request, "2.37"):
            raise BadRequest("networks is required from microversion 2.37")
        instances, admin_pass = instance_create(
            context=self.context, name=v["name"], flavor=flavor, image=image,
            availability_zone=v.get("availability_zone"), metadata=v.get("metadata"),
            key_name=v.get("key_name"), user_data=v.get("user_data"), scheduler_hints=hints,
            min_count=v.get("min_count", 1), max_count=v.get("max_count"), networks=networks,
            security_groups=v.get("security_groups"), config_drive=v.get("config_drive", False),
            access_ip_v4=v.get("accessIPv4"), access_ip_v6=v.get("accessIPv6"),
            description=extras.get("description"), tags=extras.get("tags", ()),
            trusted_certs=extras.get("trusted_image_certificates"), hostname=extras.get("hostname"),
            block_devices=v.get("block_device_mapping_v2"))
        if v.get("return_reservation_id"):
            return Response({"reservation_id": instances[0].reservation_id}, status=202)
        # A multi-create answers with the first server, as Nova.
        builder = ServerViewBuilder(request, self.context)
        first = instances[0]  # basic() needs only these: no query for the row's joins
        # Nova's create answer has no `name` (its response schema forbids one).
        server = {"id": str(first.uuid), "links": builder.links("servers", first.uuid, first.project_id),
                  "OS-DCF:diskConfig": "MANUAL",
                  "security_groups": [{"name": n} for n in v.get("security_groups") or ["default"]],
                  "adminPass": v.get("adminPass") or admin_pass}
        response = Response({"server": server}, status=202)
        response["Location"] = server["links"][0]["href"]
        return response


@extend_schema_view(get=schemas.server_list_detail)
class ServerDetailListView(ServerListView):
    detail = True
    http_method_names = ["get", "head", "options"]  # /servers/detail is read-only


class ServerView(OpenStackView):
    @schemas.server_show
    def get(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        row = selectors.instance_row(instance)
        fault = selectors.instance_latest_faults([row]).get(instance.id)
        net = instance_network_info(instance_uuids=[row["server_id"]] if row["has_ports"] else [])
        return Response({"server": ServerViewBuilder(request, self.context).detail(
            row, fault, net.get(row["server_id"]), show_server_groups=True)})

    @schemas.server_update
    def put(self, request, server_id):
        body = body_of(request, "server")
        changes = versioned_keys(request, body, server_request_versions.UPDATE)
        unknown = set(body) - set(changes) - {"name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"}
        if unknown:
            raise BadRequest(f"Invalid input for field/attribute server. Additional properties are not allowed "
                             f"({', '.join(sorted(map(repr, unknown)))} was unexpected)")
        data = serializers.ServerUpdate(data=body)
        data.is_valid(raise_exception=True)
        for key, field in (("name", "name"), ("accessIPv4", "access_ip_v4"), ("accessIPv6", "access_ip_v6")):
            if key in data.validated_data:
                changes[field] = data.validated_data[key]
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        instance_update(context=self.context, instance=instance, **changes)
        row = selectors.instance_row(instance)
        fault = selectors.instance_latest_faults([row]).get(instance.id)
        net = instance_network_info(instance_uuids=[row["server_id"]] if row["has_ports"] else [])
        return Response({"server": ServerViewBuilder(request, self.context).updated(row, fault,
                                                                                    net.get(row["server_id"]))})

    @schemas.server_delete
    def delete(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        instance_delete(context=self.context, instance=instance)
        return Response(status=204)
