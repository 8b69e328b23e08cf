"""GET /servers/{id}/diagnostics (admin): the guest's resource use, read from its host's hypervisor.

Microversion 2.1 form, as Nova's libvirt driver answers it: `cpu<N>_time` (ns) per vCPU, per disk
`<dev>_read`, `_read_req`, `_write`, `_write_req`, `_errors`, and `memory` (KiB). (2.48 standardized the
shape; not served yet.)"""
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.services.host_calls import instance_diagnostics

from ..common.schemas import ADMIN_ONLY, nova_errors
from ..common.views import OpenStackView
from . import schemas

DIAGNOSTICS_2_1 = {"type": "object", "additionalProperties": {"type": "integer"},
                   "description": "Flat counters, by name: `cpu0_time`, `vda_read`, `vda_write_req`, `memory`..."}


def legacy_body(diagnostics: dict) -> dict:
    body = {f"cpu{i}_time": t for i, t in enumerate(diagnostics["cpu_time_ns"])}
    for disk in diagnostics["disks"]:
        dev = disk["device"]
        body.update({f"{dev}_read": disk["read_bytes"], f"{dev}_read_req": disk["read_requests"],
                     f"{dev}_write": disk["write_bytes"], f"{dev}_write_req": disk["write_requests"],
                     f"{dev}_errors": disk["errors_count"]})
    body["memory"] = diagnostics["memory_max_mb"] * 1024
    return body


class ServerDiagnosticsView(OpenStackView):
    admin_only, admin_policy = True, "os_compute_api:os-server-diagnostics"

    @extend_schema(operation_id="compute_server_diagnostics", summary="Show a server's diagnostics (admin)",
                   tags=schemas.TAGS,
                   responses={200: DIAGNOSTICS_2_1, **nova_errors({
                       403: ADMIN_ONLY, 404: "No such server.", 409: "The server is not on a host yet.",
                       503: "The server's host did not answer in time."})})
    def get(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        return Response(legacy_body(instance_diagnostics(context=self.context, instance=instance)))
