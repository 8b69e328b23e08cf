"""/os-hosts (admin; removed at 2.43, replaced by os-services and os-hypervisors): the compute hosts,
one host's resources, and the update and power actions.

`status` enable/disable sets whether the scheduler may place servers on the host, as os-services does.
Maintenance mode and powering a host need a driver that can do it; neither ours can, so those answer
501, as Nova answers with the libvirt driver.
"""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute import selectors_hosts as selectors
from compute_platform.compute.exceptions import BadRequest, NotFound, NotSupported
from compute_platform.compute.services.hosts import host_set_enabled

from ..common.schemas import ADMIN_ONLY, doc_serializer, nova_errors
from ..common.views import OpenStackView
from . import schemas
from .removed import require_below

POLICY = "os_compute_api:os-hosts"
REMOVED = "2.43"
NO_HOST = "No such host (or microversion 2.43 or later)."
ENABLE_DISABLE = ("enable", "disable")
NOT_SUPPORTED = "The requested functionality is not supported."


class HostItem(fields.Serializer):
    host_name = fields.CharField()
    service = fields.CharField(help_text="`compute`")
    zone = fields.CharField()


class HostResource(fields.Serializer):
    host = fields.CharField()
    project = fields.CharField(help_text="`(total)`, `(used_now)`, `(used_max)` or a project id.")
    cpu = fields.IntegerField()
    memory_mb = fields.IntegerField()
    disk_gb = fields.IntegerField()


class HostResourceItem(fields.Serializer):
    resource = HostResource()


HostList = doc_serializer("OsHostList", {"hosts": HostItem(many=True)})
HostShow = doc_serializer("OsHostShow", {"host": HostResourceItem(many=True)})
HostUpdateRequest = doc_serializer("OsHostUpdateRequest", {
    "status": fields.CharField(required=False, help_text="`enable` or `disable` (any one case)."),
    "maintenance_mode": fields.CharField(required=False, help_text="`enable` or `disable`: not supported (501).")})
HostUpdate = doc_serializer("OsHostUpdate", {"host": fields.CharField(),
                                             "status": fields.CharField(help_text="`enabled` or `disabled`.")})
NotImplementedFault = doc_serializer("OsHostNotImplementedFault", {"notImplemented": fields.DictField()})


def _resource(host: str, project: str, cpu: int, memory_mb: int, disk_gb: int) -> dict:
    return {"resource": {"host": host, "project": project, "cpu": cpu, "memory_mb": memory_mb,
                         "disk_gb": disk_gb}}


class OsHostListView(OpenStackView):
    admin_only, admin_policy = True, f"{POLICY}:list"

    @extend_schema(operation_id="compute_os_hosts_list", summary="List the compute hosts (admin, below 2.43)",
                   tags=schemas.TAGS, description="Enabled hosts only, as Nova.",
                   parameters=[OpenApiParameter("zone", str, description="Only the hosts of this zone.")],
                   responses={200: HostList, **nova_errors({403: ADMIN_ONLY, 404: "Microversion 2.43 or later."})})
    def get(self, request):
        require_below(request, REMOVED)
        hosts = selectors.host_list_enabled(zone=request.query_params.get("zone") or None)
        return Response({"hosts": [{"host_name": h.name, "service": "compute", "zone": h.availability_zone}
                                   for h in hosts]})


class OsHostView(OpenStackView):
    admin_only, admin_policy = True, POLICY

    @extend_schema(operation_id="compute_os_host_show", summary="Show a host's resources (admin, below 2.43)",
                   tags=schemas.TAGS,
                   description="Totals, claimed now, the sum of its servers' sizes, then per project.",
                   responses={200: HostShow, **nova_errors({403: ADMIN_ONLY, 404: NO_HOST})})
    def get(self, request, host_name):
        require_below(request, REMOVED)
        host = selectors.host_get_by_name(name=host_name)
        instances = selectors.host_instances(host_ids=[host.id])
        resources = [_resource(host.name, "(total)", host.vcpus, host.memory_mb, host.disk_gb),
                     _resource(host.name, "(used_now)", host.vcpus_used, host.memory_mb_used, host.disk_gb_used),
                     _resource(host.name, "(used_max)", sum(i["vcpus"] for i in instances),
                               sum(i["memory_mb"] for i in instances), sum(i["root_gb"] for i in instances))]
        projects = {}
        for i in instances:
            cpu, mem, disk = projects.get(i["project_id"], (0, 0, 0))
            projects[i["project_id"]] = (cpu + i["vcpus"], mem + i["memory_mb"], disk + i["root_gb"])
        resources += [_resource(host.name, p, *sums) for p, sums in projects.items()]
        return Response({"host": resources})

    @extend_schema(operation_id="compute_os_host_update", summary="Enable or disable a host (admin, below 2.43)",
                   tags=schemas.TAGS, request=HostUpdateRequest,
                   description="`status` (enable/disable, any case) decides whether new servers may be placed "
                               "on the host. `maintenance_mode` needs driver support none has: 501.",
                   responses={200: HostUpdate, 501: NotImplementedFault,
                              **nova_errors({400: "Neither key, an unknown key or value.", 403: ADMIN_ONLY,
                                             404: NO_HOST})})
    def put(self, request, host_name):
        require_below(request, REMOVED)
        body = request.data
        if not isinstance(body, dict) or not body or set(body) - {"status", "maintenance_mode"}:
            raise BadRequest("Invalid input: the body takes 'status' and/or 'maintenance_mode' and nothing else.")
        for key, value in body.items():
            if not isinstance(value, str) or value.lower() not in ENABLE_DISABLE or value not in (
                    value.lower(), value.capitalize(), value.upper()):
                raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}. It must be 'enable' "
                                 "or 'disable'.")
        host = selectors.host_get_by_name(name=host_name)
        if "maintenance_mode" in body:
            raise NotSupported(NOT_SUPPORTED)
        host = host_set_enabled(host=host, enabled=body["status"].lower() == "enable", reason=None)
        return Response({"host": host.name, "status": "enabled" if host.enabled else "disabled"})


class OsHostPowerActionView(OpenStackView):
    """GET /os-hosts/{host}/reboot | shutdown | startup: no driver here powers its host, so 501 (404 for
    no such host), as Nova with libvirt."""

    admin_only, admin_policy = True, POLICY
    ACTIONS = ("reboot", "shutdown", "startup")

    @extend_schema(operation_id="compute_os_host_power_action", summary="Reboot, shut down or start up a host "
                   "(admin, below 2.43; not supported: 501)", tags=schemas.TAGS,
                   responses={501: NotImplementedFault,
                              **nova_errors({403: ADMIN_ONLY, 404: NO_HOST + " Or an unknown action."})})
    def get(self, request, host_name, action):
        require_below(request, REMOVED)
        if action not in self.ACTIONS:
            raise NotFound("The resource could not be found.")
        selectors.host_get_by_name(name=host_name)
        raise NotSupported(NOT_SUPPORTED)
