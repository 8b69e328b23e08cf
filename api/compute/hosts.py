"""Admin views of the hosts: os-hypervisors, os-services, os-availability-zone."""
from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute import selectors_hosts as selectors
from compute_platform.compute.exceptions import BadRequest, ComputeError, NotFound
from compute_platform.compute.selectors_host_versions import (host_get_by_uuid, host_servers, hypervisors_matching,
                                                              hypervisors_page, is_uuid)
from compute_platform.compute.services.host_calls import host_uptime
from compute_platform.compute.services.hosts import host_set_enabled, host_set_forced_down

from ..common.microversions import version_at_least
from ..common.schemas import ADMIN_ONLY, doc_serializer, nova_errors
from ..common.pagination import next_links, page_params
from ..common.views import OpenStackView
from . import host_schemas
from .schemas import TAGS
from ..common.timefmt import iso_usec


def _state(host):
    return "up" if host.is_up else "down"


def _status(host):
    return "enabled" if host.enabled else "disabled"


STATS_FIELDS = ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used", "free_ram_mb",
                "free_disk_gb", "current_workload", "running_vms", "disk_available_least")


def hypervisor_body(host, detail: bool, *, request=None, servers=None) -> dict:
    """A hypervisor as Nova shows it at the request's microversion (2.1 without a request): uuids for ids
    from 2.53, cpu_info an object from 2.28, no statistics but `uptime` from 2.88. `servers` ([(uuid, name)])
    when asked for (with_servers, 2.53): omitted when empty before 2.75, as Nova."""
    def at(step):
        return request is not None and version_at_least(request, step)

    body = {"id": str(host.uuid) if at("2.53") else host.id, "hypervisor_hostname": host.name,
            "state": _state(host), "status": _status(host)}
    if detail:
        body.update({"hypervisor_type": host.hypervisor_type, "hypervisor_version": host.hypervisor_version,
                     "host_ip": host.host_ip,
                     "service": {"host": host.name, "id": str(host.uuid) if at("2.53") else host.id,
                                 "disabled_reason": host.disabled_reason}})
        if at("2.88"):
            body["uptime"] = None  # not collected from the hosts (Nova's answer when the driver has none)
        else:
            free_ram = host.memory_mb - host.memory_mb_used
            free_disk = host.disk_gb - host.disk_gb_used
            body.update({
                "vcpus": host.vcpus, "memory_mb": host.memory_mb, "local_gb": host.disk_gb,
                "vcpus_used": host.vcpus_used, "memory_mb_used": host.memory_mb_used,
                "local_gb_used": host.disk_gb_used, "free_ram_mb": free_ram, "free_disk_gb": free_disk,
                "current_workload": 0, "running_vms": getattr(host, "running_vms", 0),
                "disk_available_least": free_disk, "cpu_info": {} if at("2.28") else "{}"})
    if servers or (servers is not None and at("2.75")):
        body["servers"] = [{"uuid": uuid, "name": name} for uuid, name in servers]
    return body


def _with_servers(request) -> bool:
    raw = request.query_params.get("with_servers")
    if raw is None or not version_at_least(request, "2.53"):
        return False
    if raw.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise BadRequest(f"Invalid with_servers value: {raw}")
    return raw.lower() in ("true", "1", "yes", "on")


def hypervisor_get(request, hypervisor_id: str):
    """The hypervisor of the path: its integer id, or its uuid from 2.53 (400 when not a uuid, as Nova)."""
    if not version_at_least(request, "2.53"):
        return selectors.host_get_with_usage(host_id=hypervisor_id)
    if not is_uuid(hypervisor_id):
        raise BadRequest(f"Invalid uuid {hypervisor_id}")
    return host_get_by_uuid(host_uuid=hypervisor_id)


class HypervisorListView(OpenStackView):
    admin_only, detail = True, False

    @host_schemas.hypervisor_list
    def get(self, request):
        if not version_at_least(request, "2.33"):
            hosts = list(selectors.host_list_with_usage())
            return Response({"hypervisors": [hypervisor_body(h, self.detail, request=request) for h in hosts]})
        pattern = request.query_params.get("hypervisor_hostname_pattern") if version_at_least(
            request, "2.53") else None
        if pattern is not None:
            if "limit" in request.query_params or "marker" in request.query_params:
                raise BadRequest("Paging over hypervisors with the hypervisor_hostname_pattern query parameter is "
                                 "not supported.")
            hosts = list(hypervisors_matching(pattern=pattern))
            if not hosts:
                raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
            page = None
        else:
            page = page_params(request)
            hosts = hypervisors_page(limit=page.limit, marker=page.marker,
                                     by_uuid=version_at_least(request, "2.53"))
        servers = host_servers(hosts=hosts) if _with_servers(request) else {}
        body = {"hypervisors": [hypervisor_body(h, self.detail, request=request,
                                                servers=servers.get(h.id) if servers else None) for h in hosts]}
        if page is not None:
            body.update(next_links(request, "hypervisors_links", page=page, items=hosts,
                                   marker_of=lambda h: h.uuid if version_at_least(request, "2.53") else h.id))
        return Response(body)


@extend_schema_view(get=host_schemas.hypervisor_list_detail)
class HypervisorDetailListView(HypervisorListView):
    detail = True


class HypervisorView(OpenStackView):
    admin_only = True

    @host_schemas.hypervisor_show
    def get(self, request, hypervisor_id):
        host = hypervisor_get(request, hypervisor_id)
        servers = host_servers(hosts=[host]).get(host.id, []) if _with_servers(request) else None
        return Response({"hypervisor": hypervisor_body(host, detail=True, request=request, servers=servers)})


class HypervisorStatisticsView(OpenStackView):
    admin_only = True

    @host_schemas.hypervisor_statistics
    def get(self, request):
        hosts = list(selectors.host_list_with_usage())
        keys = ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used",
                "free_ram_mb", "free_disk_gb", "current_workload", "running_vms", "disk_available_least")
        bodies = [hypervisor_body(h, detail=True) for h in hosts]  # the 2.1 fields, summed
        stats = {k: sum(b[k] for b in bodies) for k in keys}
        stats["count"] = len(hosts)
        return Response({"hypervisor_statistics": stats})


def service_body(request, host) -> dict:
    body = {"id": str(host.uuid) if version_at_least(request, "2.53") else host.id, "binary": "nova-compute",
            "host": host.name, "zone": host.availability_zone,
            "status": _status(host), "state": _state(host), "updated_at": iso_usec(host.last_heartbeat),
            "disabled_reason": host.disabled_reason}
    if version_at_least(request, "2.11"):  # Nova added forced_down in 2.11
        body["forced_down"] = host.forced_down
    return body


class ServiceListView(OpenStackView):
    admin_only = True

    @host_schemas.service_list
    def get(self, request):
        if request.query_params.get("binary") not in (None, "nova-compute"):
            return Response({"services": []})  # nova-compute is the only service there is
        hosts = selectors.host_list(name=request.query_params.get("host"))
        return Response({"services": [service_body(request, h) for h in hosts]})


class ServiceToggleView(OpenStackView):
    """PUT /os-services/enable | disable | disable-log-reason (microversion 2.1 form)."""

    admin_only = True

    VERBS = ("enable", "disable", "disable-log-reason")

    @host_schemas.service_update
    def put(self, request, verb):
        if version_at_least(request, "2.53"):
            return self.put_by_uuid(request, verb)
        if verb not in self.VERBS and not (verb == "force-down" and version_at_least(request, "2.11")):
            raise NotFound(f"Unknown action: {verb}")
        data = request.data if isinstance(request.data, dict) else {}
        host = selectors.host_get_by_name(name=data.get("host"))
        if data.get("binary", "nova-compute") != "nova-compute":
            raise BadRequest("Only the nova-compute binary can be enabled or disabled.")
        if verb == "force-down":  # microversion 2.11
            if not isinstance(data.get("forced_down"), bool):
                raise BadRequest("forced_down must be a boolean")
            host = host_set_forced_down(host=host, forced_down=data["forced_down"])
            return Response({"service": {"host": host.name, "binary": "nova-compute",
                                         "forced_down": host.forced_down}})
        reason = data.get("disabled_reason")
        if verb == "disable-log-reason" and not reason:
            raise BadRequest("disabled_reason is required")
        host = host_set_enabled(host=host, enabled=(verb == "enable"), reason=reason)
        body = {"host": host.name, "binary": "nova-compute", "status": _status(host)}
        if reason:
            body["disabled_reason"] = reason
        return Response({"service": body})


    def put_by_uuid(self, request, service_id):
        """PUT /os-services/{uuid} (2.53): `status` (enabled, disabled with an optional disabled_reason)
        and/or `forced_down`; answers the whole service."""
        host = host_get_by_uuid(host_uuid=service_id) if is_uuid(service_id) else None
        if host is None:
            raise BadRequest(f"Invalid uuid {service_id}")
        data = request.data if isinstance(request.data, dict) else {}
        unknown = set(data) - {"status", "disabled_reason", "forced_down"}
        if unknown:
            raise BadRequest(f"Additional properties are not allowed ({', '.join(sorted(unknown))} was unexpected)")
        if "status" not in data and "forced_down" not in data:
            raise BadRequest("No updates were requested. Fields 'status' or 'forced_down' should be specified.")
        if "status" in data:
            if data["status"] not in ("enabled", "disabled"):
                raise BadRequest("status must be 'enabled' or 'disabled'")
            if data["status"] == "enabled" and data.get("disabled_reason"):
                raise BadRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.")
            host = host_set_enabled(host=host, enabled=data["status"] == "enabled",
                                    reason=data.get("disabled_reason"))
        if "forced_down" in data:
            if not isinstance(data["forced_down"], bool):
                raise BadRequest("forced_down must be a boolean")
            host = host_set_forced_down(host=host, forced_down=data["forced_down"])
        return Response({"service": service_body(request, host)})


class AvailabilityZoneView(OpenStackView):
    detail = False

    @host_schemas.availability_zone_list
    def get(self, request):
        zones = {}
        for host in selectors.host_list():
            zone = zones.setdefault(host.availability_zone, {"available": False, "hosts": {}})
            zone["available"] |= host.enabled and host.is_up
            zone["hosts"][host.name] = {"nova-compute": {"available": host.is_up, "active": host.enabled,
                                                         "updated_at": iso_usec(host.last_heartbeat)}}
        if not zones:
            zones[settings.DEFAULT_AVAILABILITY_ZONE] = {"available": False, "hosts": {}}
        show_hosts = self.detail and self.context.is_admin
        return Response({"availabilityZoneInfo": [
            {"zoneName": name, "zoneState": {"available": z["available"]},
             "hosts": z["hosts"] if show_hosts else None} for name, z in sorted(zones.items())]})


@extend_schema_view(get=host_schemas.availability_zone_list_detail)
class AvailabilityZoneDetailView(AvailabilityZoneView):
    admin_only, detail = True, True


class NotImplementedFault(ComputeError):
    code = 501
    fault = "notImplemented"


class HypervisorUptimeView(OpenStackView):
    """The host's worker answers (a synchronous host call); 501 when its driver cannot tell, as Nova."""

    admin_only = True

    @extend_schema(operation_id="compute_hypervisor_uptime", summary="Show a hypervisor's uptime",
                   tags=TAGS,
                   responses={200: doc_serializer("HypervisorUptime", {"hypervisor": fields.DictField(
                                  help_text="id, hypervisor_hostname, state, status and `uptime`: the host's "
                                            "`uptime` line.")}),
                              501: doc_serializer("NotImplementedFault", {"notImplemented": fields.DictField()}),
                              **nova_errors({403: ADMIN_ONLY, 404: "No such hypervisor.",
                                             503: "The host did not answer."})})
    def get(self, request, hypervisor_id):
        host = hypervisor_get(request, hypervisor_id)  # 404 for no such hypervisor
        uptime = host_uptime(context=self.context, host=host.name)
        if uptime is None:
            raise NotImplementedFault("Virt driver does not implement uptime function.")
        return Response({"hypervisor": {**hypervisor_body(host, detail=False, request=request), "uptime": uptime}})
