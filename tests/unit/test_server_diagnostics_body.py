"""Server diagnostics rendered from a driver's Diagnostics: Nova's 2.1 flat form (as its libvirt driver
answers) and the 2.48 standard form."""
import dataclasses
from types import SimpleNamespace

from api.compute.server_diagnostics import legacy_body, standard_body
from hypervisors.base import Diagnostics, DiskDiagnostics, PowerState

DIAG = dataclasses.asdict(Diagnostics(
    uuid="u", power_state=PowerState.RUNNING, driver="libvirt", memory_max_mb=512, cpu_time_ns=(7, 9),
    disks=(DiskDiagnostics(device="vda", read_bytes=10, read_requests=2, write_bytes=30, write_requests=4),
           DiskDiagnostics(device="vdb")), uptime_s=60))


def test_legacy_body_is_flat_counters():
    assert legacy_body(DIAG) == {
        "cpu0_time": 7, "cpu1_time": 9, "memory": 512 * 1024,
        "vda_read": 10, "vda_read_req": 2, "vda_write": 30, "vda_write_req": 4, "vda_errors": 0,
        "vdb_read": 0, "vdb_read_req": 0, "vdb_write": 0, "vdb_write_req": 0, "vdb_errors": 0}


def test_standard_body_at_2_48():
    instance = SimpleNamespace(host=SimpleNamespace(hypervisor_type="QEMU"), vcpus=2)
    body = standard_body(DIAG, instance)
    assert (body["state"], body["driver"], body["hypervisor"], body["uptime"], body["num_cpus"], body["num_disks"],
            body["num_nics"]) == ("running", "libvirt", "QEMU", 60, 2, 2, 0)
    assert body["memory_details"] == {"maximum": 512, "used": None}
    assert body["cpu_details"] == [{"id": 0, "time": 7, "utilisation": None}, {"id": 1, "time": 9, "utilisation": None}]
    assert body["disk_details"][0] == {"read_bytes": 10, "read_requests": 2, "write_bytes": 30, "write_requests": 4,
                                       "errors_count": 0}
    stopped = standard_body({**DIAG, "power_state": 4, "cpu_time_ns": []}, instance)
    assert stopped["state"] == "shutdown" and stopped["cpu_details"] == []
