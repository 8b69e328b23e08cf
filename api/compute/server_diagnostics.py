"""GET /servers/{id}/diagnostics (admin): the guest's resource use, read from its host's hypervisor.

Microversion 2.1 form, as Nova's libvirt driver answers it: `cpu<N>_time` (ns) per vCPU, per disk
`<dev>_read`, `_read_req`, `_write`, `_write_req`, `_errors`, and `memory` (KiB). From 2.48 (once the API
serves it), Nova's standard form (state, driver, counts, memory/cpu/disk/nic details)."""
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from compute_platform.compute import selectors
from compute_platform.compute.services.host_calls import instance_diagnostics

from ..common.microversions import version_at_least
from ..common.schemas import ADMIN_ONLY, nova_errors
from ..common.views import OpenStackView
from . import schemas

DIAGNOSTICS = {"type": "object", "additionalProperties": True,
               "description": "2.1: flat counters by name (`cpu0_time`, `vda_read`, `vda_write_req`, `memory`...); "
                              "2.48: `state`, `driver`, `hypervisor`, `hypervisor_os`, `uptime`, `config_drive`, "
                              "`num_cpus`, `num_disks`, `num_nics`, `memory_details`, `cpu_details`, `disk_details`, "
                              "`nic_details`."}
# Nova's power_state.STATE_MAP: the 2.48 `state` names.
STATE_NAMES = {0: "pending", 1: "running", 3: "paused", 4: "shutdown", 6: "crashed", 7: "suspended"}
# The 2.48 `driver` is an enum of Nova's real drivers; Nova's own fake driver reports "libvirt", and so does ours.
DRIVER_NAMES = {"fake": "libvirt"}


def legacy_body(diagnostics: dict) -> dict:
    body = {f"cpu{i}_time": t for i, t in enumerate(diagnostics["cpu_time_ns"])}
    for disk in diagnostics["disks"]:
        dev = disk["device"]
        body.update({f"{dev}_read": disk["read_bytes"], f"{dev}_read_req": disk["read_requests"],
                     f"{dev}_write": disk["write_bytes"], f"{dev}_write_req": disk["write_requests"],
                     f"{dev}_errors": disk["errors_count"]})
    body["memory"] = diagnostics["memory_max_mb"] * 1024
    return body


def standard_body(diagnostics: dict, instance) -> dict:
    """Microversion 2.48's form. No NICs yet (servers have no ports), no config drive, no used memory."""
    disks = [{k: d[k] for k in ("read_bytes", "read_requests", "write_bytes", "write_requests", "errors_count")}
             for d in diagnostics["disks"]]
    return {"state": STATE_NAMES.get(diagnostics["power_state"], "pending"), "driver": DRIVER_NAMES.get(diagnostics["driver"], diagnostics["driver"]),
            "hypervisor": instance.host.hypervisor_type, "hypervisor_os": None, "uptime": diagnostics["uptime_s"],
            "config_drive": False, "num_cpus": instance.vcpus, "num_nics": 0, "num_disks": len(disks),
            "memory_details": {"maximum": diagnostics["memory_max_mb"], "used": None},
            "cpu_details": [{"id": i, "time": t, "utilisation": None} for i, t in enumerate(diagnostics["cpu_time_ns"])],
            "disk_details": disks, "nic_details": []}


class ServerDiagnosticsView(OpenStackView):
    admin_only, admin_policy = True, "os_compute_api:os-server-diagnostics"

    @extend_schema(operation_id="compute_server_diagnostics", summary="Show a server's diagnostics (admin)",
                   tags=schemas.TAGS,
                   responses={200: DIAGNOSTICS, **nova_errors({
                       403: ADMIN_ONLY, 404: "No such server.", 409: "The server is not on a host yet.",
                       503: "The server's host did not answer in time."})})
    def get(self, request, server_id):
        instance = selectors.instance_get(context=self.context, instance_uuid=server_id)
        diagnostics = instance_diagnostics(context=self.context, instance=instance)
        if version_at_least(request, "2.48"):
            return Response(standard_body(diagnostics, instance))
        return Response(legacy_body(diagnostics))
