"""/os-hypervisors/{pattern}/search and /os-hypervisors/{pattern}/servers (admin; removed at 2.53, where
a `hypervisor_hostname_pattern` query replaced them): the hypervisors whose name contains the pattern."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as fields
from rest_framework.response import Response

from compute_platform.compute import selectors_hosts as selectors
from compute_platform.compute.selectors import instance_name_for

from ..common.schemas import ADMIN_ONLY, doc_serializer, nova_errors
from ..common.views import OpenStackView
from . import host_schemas
from .schemas import TAGS
from .hosts import hypervisor_body
from .removed import require_below

POLICY = "os_compute_api:os-hypervisors"
NO_MATCH = "No hypervisor name contains the pattern (or microversion 2.53 or later)."


class HypervisorServer(fields.Serializer):
    name = fields.CharField(help_text="The hypervisor's name of the server (`instance-0000000a`).")
    uuid = fields.UUIDField()


HypervisorWithServers = doc_serializer("HypervisorWithServers", {
    "servers": HypervisorServer(many=True, required=False, help_text="Absent when the host has none, as Nova.")},
    base=host_schemas.HypervisorBasic)
HypervisorSearch = doc_serializer("HypervisorSearch", {"hypervisors": host_schemas.HypervisorBasic(many=True)})
HypervisorServers = doc_serializer("HypervisorServers", {"hypervisors": HypervisorWithServers(many=True)})


class HypervisorSearchView(OpenStackView):
    admin_only, admin_policy = True, f"{POLICY}:search"

    @extend_schema(operation_id="compute_hypervisor_search", summary="Search hypervisors by name (admin, "
                   "below 2.53)", tags=TAGS,
                   responses={200: HypervisorSearch, **nova_errors({403: ADMIN_ONLY, 404: NO_MATCH})})
    def get(self, request, hypervisor_id):
        require_below(request, "2.53")
        hosts = selectors.host_search(pattern=hypervisor_id)
        return Response({"hypervisors": [hypervisor_body(h, detail=False) for h in hosts]})


class HypervisorServersView(OpenStackView):
    admin_only, admin_policy = True, f"{POLICY}:servers"

    @extend_schema(operation_id="compute_hypervisor_servers", summary="The servers of the hypervisors a name "
                   "pattern matches (admin, below 2.53)", tags=TAGS,
                   responses={200: HypervisorServers, **nova_errors({403: ADMIN_ONLY, 404: NO_MATCH})})
    def get(self, request, hypervisor_id):
        require_below(request, "2.53")
        hosts = selectors.host_search(pattern=hypervisor_id)
        servers = {}
        for row in selectors.host_instances(host_ids=[h.id for h in hosts]):
            servers.setdefault(row["host_id"], []).append({"name": instance_name_for(row["id"]),
                                                           "uuid": str(row["uuid"])})
        bodies = []
        for host in hosts:
            body = hypervisor_body(host, detail=False)
            if servers.get(host.id):
                body["servers"] = servers[host.id]
            bodies.append(body)
        return Response({"hypervisors": bodies})
