"""One libvirt domain: its power state in Nova's terms, and the few calls the driver composes.

libvirt has no "suspended to disk" domain state: a managed-saved guest is SHUTOFF with a save image.
`power_state` folds that in, so the rest of the driver reasons in Nova's states only.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Callable, Iterator

import libvirt

from hypervisors.base import DriverError, InstanceNotFound, PowerState

from . import xml as domxml

LOG = logging.getLogger(__name__)
S = PowerState

# Nova's mapping (nova/virt/libvirt/guest.py LIBVIRT_POWER_STATE); SHUTOFF is refined below.
LIBVIRT_POWER_STATE = {
    libvirt.VIR_DOMAIN_NOSTATE: S.NOSTATE,
    libvirt.VIR_DOMAIN_RUNNING: S.RUNNING,
    libvirt.VIR_DOMAIN_BLOCKED: S.RUNNING,  # "blocked on a resource": still running
    libvirt.VIR_DOMAIN_PAUSED: S.PAUSED,
    libvirt.VIR_DOMAIN_SHUTDOWN: S.SHUTDOWN,  # "being shut down"
    libvirt.VIR_DOMAIN_SHUTOFF: S.SHUTDOWN,
    libvirt.VIR_DOMAIN_CRASHED: S.CRASHED,
    libvirt.VIR_DOMAIN_PMSUSPENDED: S.SUSPENDED,
}


def is_not_found(exc: libvirt.libvirtError) -> bool:
    return exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN


@contextlib.contextmanager
def translated(instance_uuid: str, what: str) -> Iterator[None]:
    """Turn libvirt's errors into the contract's: a vanished domain is InstanceNotFound, the rest
    DriverError naming the instance and the operation."""
    try:
        yield
    except libvirt.libvirtError as exc:
        if is_not_found(exc):
            raise InstanceNotFound(instance_uuid) from exc
        raise DriverError(f"{what} of instance {instance_uuid} failed: {exc.get_error_message()}",
                          instance_uuid) from exc


class Guest:
    """A domain this host owns. Methods raise libvirtError; the driver translates."""

    def __init__(self, domain: libvirt.virDomain) -> None:
        self.domain = domain
        self.uuid = domain.UUIDString()

    def power_state(self) -> PowerState:
        state, _reason = self.domain.state()
        if state == libvirt.VIR_DOMAIN_SHUTOFF and self.domain.hasManagedSaveImage():
            return S.SUSPENDED
        return LIBVIRT_POWER_STATE.get(state, S.NOSTATE)

    def is_active(self) -> bool:
        return bool(self.domain.isActive())

    def info(self) -> tuple[int, int, int]:
        """(vcpus, memory_mb, cpu_time_ns) from virDomainGetInfo."""
        _state, max_mem_kib, _mem, vcpus, cpu_time = self.domain.info()
        return vcpus, max_mem_kib // 1024, cpu_time

    def vcpu_times(self) -> tuple[int, ...]:
        """Each vCPU's time in ns; () unless the domain is running (virDomainGetVcpus needs it live)."""
        if not self.is_active():
            return ()
        infos, _cpumaps = self.domain.vcpus()
        return tuple(info[2] for info in infos)

    def block_stats(self, target: str) -> dict:
        """I/O counters of one disk since the domain started; zeros unless it is running."""
        if not self.is_active():
            return {}
        rd_req, rd_bytes, wr_req, wr_bytes, errors = self.domain.blockStats(target)
        return {"read_requests": rd_req, "read_bytes": rd_bytes, "write_requests": wr_req,
                "write_bytes": wr_bytes, "errors_count": max(errors, 0)}

    def xml(self, *, inactive: bool = False) -> str:
        return self.domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0)

    def volume_disks(self, *, inactive: bool) -> list[domxml.DiskInfo]:
        return domxml.volume_disks(self.xml(inactive=inactive))

    def all_disks(self, *, inactive: bool) -> list[domxml.DiskInfo]:
        return domxml.disks(self.xml(inactive=inactive))

    # -- state changes -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start (or restore from its managed save image) a shut-off domain."""
        self.domain.create()

    def hard_stop(self) -> None:
        """Power cut, if it is running at all."""
        if self.is_active():
            self.domain.destroy()

    def discard_saved_state(self) -> None:
        if self.domain.hasManagedSaveImage():
            self.domain.managedSaveRemove()

    def wait_for(self, done: Callable[[], bool], timeout: float, wake: Callable[[float], None]) -> bool:
        """Poll `done` until true or `timeout` s pass; `wake(seconds)` sleeps, ending early on an event."""
        deadline = time.monotonic() + timeout
        while True:
            if done():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            wake(min(0.25, left))

    def undefine(self) -> None:
        flags = (libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
                 | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
        try:
            self.domain.undefineFlags(flags)
        except libvirt.libvirtError as exc:
            if is_not_found(exc):
                return
            if exc.get_error_code() not in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_INVALID_ARG):
                raise
            self.discard_saved_state()  # a driver without the flags: do their work by hand
            self.domain.undefine()
