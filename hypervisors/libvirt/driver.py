"""LibvirtDriver: the ComputeDriver contract on libvirt, as a thin facade.

The connection lives in `host.py`, one domain's calls in `guest.py`, the XML in `xml.py`, disks and
the image cache in `disks.py`; this file only composes them into the contract's postconditions.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import libvirt

from hypervisors.base import (
    ComputeDriver,
    Diagnostics,
    DiskDiagnostics,
    DriverError,
    HostResources,
    InstanceExists,
    InstanceInfo,
    InstanceNotFound,
    InstanceSpec,
    InvalidPowerState,
    PowerState,
    VifSpec,
    VolumeAttachFailed,
    VolumeConnection,
)
from hypervisors.console import console_tail
from hypervisors.netplane.metadata import MetadataConfig
from hypervisors.uptime import machine_uptime_seconds, uptime_line

from . import xml as domxml
from .console import LibvirtConsole
from .disks import InstanceDisks
from .guest import Guest, is_not_found, translated
from .host import EVENT_NAMES, Host
from .network import GuestNetwork
from .live_migration import LiveMigrationMixin
from .migration import HOST_PLACEHOLDER, MigrationMixin
from .rescue_snapshot import SnapshotRescueMixin

LOG = logging.getLogger(__name__)
S = PowerState
LIVE_AND_CONFIG = libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG


class LibvirtDriver(LiveMigrationMixin, MigrationMixin, SnapshotRescueMixin, ComputeDriver):
    name = "libvirt"
    capabilities = {**ComputeDriver.capabilities, "supports_migration": True}

    def __init__(
        self,
        *,
        host: str,
        uri: str = "qemu:///system",
        virt_type: str = "qemu",
        instances_dir: str | os.PathLike = "/var/lib/compute-platform/instances",
        shutdown_timeout: float = 60.0,
        detach_timeout: float = 20.0,
        kernel_cmdline: str = domxml.DEFAULT_CMDLINE,
        network_dir: str | os.PathLike | None = None,
        live_migration_uri: str = "",
        metadata_api_url: str = "",
        metadata_proxy_secret: str = "",
    ) -> None:
        super().__init__(host=host)
        if virt_type not in ("qemu", "kvm", "test"):
            raise ValueError(f"virt_type must be qemu, kvm or test, not {virt_type!r}")
        self.uri, self.virt_type = uri, virt_type
        self.shutdown_timeout, self.detach_timeout = shutdown_timeout, detach_timeout
        self.kernel_cmdline = kernel_cmdline
        # `{host}` in instances_dir: one directory per host, and the way a move finds the destination's
        self.instances_dir_template = str(instances_dir)
        self.disks = InstanceDisks(self.instances_dir_template.replace(HOST_PLACEHOLDER, host))
        self._host = Host(uri)
        self._host.add_lifecycle_listener(self._log_event)
        self._metadata_xml = domxml.metadata_xml(host, "")
        # the data plane's state (ports plugged here, DHCP files); only a real hypervisor gets a real network
        # and each network's metadata proxy relays to the metadata API (empty URL: none)
        metadata = MetadataConfig(metadata_api_url, metadata_proxy_secret) if metadata_api_url else None
        self.network = GuestNetwork(network_dir or self.disks.root / "_network", real=not uri.startswith("test://"),
                                    detach_timeout=detach_timeout, metadata=metadata)
        # the libvirt of another host, `{host}` naming it (Nova's live_migration_uri); empty: no live migration
        self.live_migration_uri = live_migration_uri
        if live_migration_uri:
            self.capabilities = dict(self.capabilities, supports_live_migration=True)
        if uri.startswith("test://"):
            # libvirt's test driver cannot plug devices and runs no guest that could print anything.
            self.capabilities = dict(self.capabilities, supports_volume_attach=False,
                                     supports_console_output=False, supports_serial_console=False)

    # -- plumbing ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the libvirt connection (not part of the contract; tests and shutdown use it)."""
        self._host.close()

    def _log_event(self, uuid: str, event: int, detail: int) -> None:
        if event in (libvirt.VIR_DOMAIN_EVENT_STOPPED, libvirt.VIR_DOMAIN_EVENT_CRASHED):
            LOG.info("host %s: instance %s %s (libvirt detail %s)", self.host, uuid, EVENT_NAMES[event], detail)

    def _conn(self) -> libvirt.virConnect:
        try:
            return self._host.get_connection()
        except libvirt.libvirtError as exc:
            raise DriverError(f"cannot connect to libvirt at {self.uri}: {exc.get_error_message()}") from exc

    def _owned(self, dom: libvirt.virDomain) -> bool:
        try:
            meta = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, domxml.METADATA_NS, 0)
        except libvirt.libvirtError:
            return False  # no metadata of ours: a domain someone else defined
        return domxml.metadata_host(meta) == self.host

    def _find(self, uuid: str) -> Guest | None:
        try:
            dom = self._conn().lookupByUUIDString(uuid)
        except libvirt.libvirtError as exc:
            if is_not_found(exc) or exc.get_error_code() == libvirt.VIR_ERR_INVALID_ARG:
                return None
            raise DriverError(f"looking up instance {uuid} failed: {exc.get_error_message()}", uuid) from exc
        return Guest(dom) if self._owned(dom) else None

    def _guest(self, uuid: str) -> Guest:
        guest = self._find(uuid)
        if guest is None:
            raise InstanceNotFound(uuid)
        return guest

    def _wait(self, guest: Guest, done, timeout: float) -> bool:
        return guest.wait_for(done, timeout, self._host.wait_for_change)

    # -- lifecycle ---------------------------------------------------------------------------------

    def init_host(self) -> None:
        """Connect, so a worker with a wrong LIBVIRT_URI fails at start and not at its first build."""
        conn = self._conn()
        LOG.info("host %s: libvirt %s at %s, %d guests of ours", self.host, conn.getType(), self.uri,
                 len(self.list_instances()))

    def spawn(self, spec: InstanceSpec) -> None:
        """Define the domain (root disk: qcow2 overlay on the cached image, or the boot volume's file; kernel
        and ramdisk when the image names them) and start it; afterwards it is listed and RUNNING.

        An existing domain with this uuid raises InstanceExists and is left alone. Any other failure
        removes what this call made (domain, disks) before raising DriverError."""
        uuid = spec.uuid
        try:  # any domain with this uuid, even another host's on a shared libvirtd, blocks the define
            self._conn().lookupByUUIDString(uuid)
        except libvirt.libvirtError as exc:
            if not is_not_found(exc):
                raise DriverError(f"looking up instance {uuid} failed: {exc.get_error_message()}", uuid) from exc
        else:
            raise InstanceExists(uuid)
        dom = None
        try:
            self.disks.remove(uuid)  # leftovers of a spawn cut short by a crash
            if spec.boot_volume is not None:
                if not os.path.exists(spec.boot_volume.path):
                    raise DriverError(f"boot volume {spec.boot_volume.volume_id}: no such file "
                                      f"{spec.boot_volume.path}", uuid)
                self.disks.make_instance_dir(uuid)  # its console log and config drive
                root = spec.boot_volume.path
            else:
                root = self.disks.create_root(uuid, spec.image, spec.root_gb)
            cfg = self._domain_config(spec, root)
            with translated(uuid, "define"):
                dom = self._conn().defineXML(domxml.domain_xml(cfg))
            with translated(uuid, "start"):
                dom.create()
        except BaseException as exc:
            LOG.warning("host %s: spawn of instance %s failed, cleaning up: %s", self.host, uuid, exc)
            self._cleanup_failed_spawn(uuid, dom)
            if isinstance(exc, DriverError):
                raise
            if isinstance(exc, Exception):
                raise DriverError(f"spawn of instance {uuid} failed: {exc}", uuid) from exc
            raise
        LOG.info("host %s: spawned instance %s (domain %s)", self.host, uuid, cfg.name)

    def _domain_config(self, spec: InstanceSpec, root: Path,
                       volumes: tuple[VolumeConnection, ...] = ()) -> domxml.DomainConfig:
        """The domain of `spec` on this host with `root` as its disk: boot files cached, ports plugged on the
        host (bridge, DHCP and firewall ready before the guest's first DHCP request), config drive written."""
        uuid = spec.uuid
        kernel = initrd = None
        if spec.image is not None and spec.image.kernel_path:
            kernel = self.disks.boot_file(spec.image.kernel_path, "kernel", uuid)
            if spec.image.ramdisk_path:
                initrd = self.disks.boot_file(spec.image.ramdisk_path, "ramdisk", uuid)
        for vif in spec.vifs:
            self.network.host_plug(uuid, vif)
        config_drive = self.network.config_drive(spec, self.disks.instance_dir(uuid)) if spec.config_drive else None
        return domxml.DomainConfig(
            uuid=uuid, name=domxml.domain_name(spec.name, uuid), host=self.host, vcpus=spec.vcpus,
            memory_mb=spec.memory_mb, virt_type=self.virt_type, root_disk=str(root), root_format="qcow2",
            console_log=str(self.disks.console_path(uuid)), image_id=spec.image.id if spec.image else "",
            kernel=kernel, initrd=initrd, cmdline=self.kernel_cmdline, interfaces=spec.vifs,
            config_drive=config_drive, boot_volume=spec.boot_volume, volumes=volumes)

    def _cleanup_failed_spawn(self, uuid: str, dom: libvirt.virDomain | None) -> None:
        if dom is not None:
            try:
                guest = Guest(dom)
                guest.hard_stop()
                guest.undefine()
            except libvirt.libvirtError as exc:
                LOG.error("host %s: could not remove the domain of failed instance %s: %s", self.host, uuid, exc)
        self.disks.remove(uuid)
        try:
            self.network.host_unplug_instance(uuid)
        except DriverError as exc:
            LOG.error("host %s: could not unplug the ports of failed instance %s: %s", self.host, uuid, exc)

    def destroy(self, instance_uuid: str) -> None:
        """Power cut, undefine (with any managed save image), remove the instance directory (disk,
        console log, config drive) and unplug its ports from the data plane. A missing domain succeeds, and still removes a directory left behind. Volume
        files are not the guest's: they stay."""
        guest = self._find(instance_uuid)
        if guest is not None:
            try:
                guest.hard_stop()
                guest.undefine()
            except libvirt.libvirtError as exc:
                if not is_not_found(exc):
                    raise DriverError(f"destroy of instance {instance_uuid} failed: {exc.get_error_message()}",
                                      instance_uuid) from exc
        removed = self.disks.remove(instance_uuid)
        ports = self.network.host_unplug_instance(instance_uuid)
        LOG.info("host %s: destroyed instance %s (domain existed: %s, disks removed: %s, ports unplugged: %s)",
                 self.host, instance_uuid, guest is not None, removed, ports)

    def power_off(self, instance_uuid: str, *, timeout: float | None = None) -> None:
        """Afterwards SHUTDOWN. A running guest is asked by ACPI and cut off after `timeout` s (default:
        the driver's shutdown_timeout); a paused or crashed one is cut off at once; a suspended one
        loses its saved memory (as a power-off would)."""
        timeout = self.shutdown_timeout if timeout is None else timeout
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, "power off"):
            state = guest.power_state()
            if state == S.SHUTDOWN:
                return
            if state == S.SUSPENDED:
                guest.hard_stop()  # PMSUSPENDED is active; a managed save is not
                guest.discard_saved_state()
                return
            if state == S.RUNNING and timeout > 0:
                self._clean_shutdown(guest, timeout)
            guest.hard_stop()
        LOG.info("host %s: powered off instance %s", self.host, instance_uuid)

    def _clean_shutdown(self, guest: Guest, timeout: float) -> bool:
        try:
            guest.domain.shutdown()  # ACPI power button; returns at once
        except libvirt.libvirtError as exc:
            LOG.info("instance %s: ACPI shutdown refused (%s): cutting power", guest.uuid, exc.get_error_message())
            return False
        if self._wait(guest, lambda: not guest.is_active(), timeout):
            LOG.info("instance %s shut down cleanly", guest.uuid)
            return True
        LOG.info("instance %s did not shut down within %.0f s: cutting power", guest.uuid, timeout)
        return False

    def power_on(self, instance_uuid: str) -> None:
        """SHUTDOWN or CRASHED -> RUNNING; already RUNNING succeeds; PAUSED/SUSPENDED raise."""
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, "power on"):
            state = guest.power_state()
            if state == S.RUNNING:
                return
            if state not in (S.SHUTDOWN, S.CRASHED):
                raise InvalidPowerState(instance_uuid, "power_on", state)
            guest.hard_stop()  # a CRASHED domain may still be active
            guest.start()
        LOG.info("host %s: powered on instance %s", self.host, instance_uuid)

    def reboot(self, instance_uuid: str, *, hard: bool) -> None:
        """Hard: power cut (dropping any saved memory) and start, from any state. Soft: only from
        RUNNING; ACPI shutdown, then start; a guest that ignores it for shutdown_timeout s is rebooted
        hard instead (Nova does the same)."""
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, "hard reboot" if hard else "reboot"):
            if not hard:
                state = guest.power_state()
                if state != S.RUNNING:
                    raise InvalidPowerState(instance_uuid, "reboot", state)
                if self._clean_shutdown(guest, self.shutdown_timeout):
                    guest.start()
                    LOG.info("host %s: soft rebooted instance %s", self.host, instance_uuid)
                    return
            guest.hard_stop()
            guest.discard_saved_state()
            guest.start()
        LOG.info("host %s: hard rebooted instance %s", self.host, instance_uuid)

    def _transition(self, instance_uuid: str, action: str, allowed: set, target: PowerState, do) -> None:
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, action):
            state = guest.power_state()
            if state == target:
                return
            if state not in allowed:
                raise InvalidPowerState(instance_uuid, action, state)
            do(guest)
        LOG.info("host %s: %s instance %s -> %s", self.host, action, instance_uuid, target.name)

    def pause(self, instance_uuid: str) -> None:
        """RUNNING -> PAUSED (libvirt's virDomainSuspend: vCPUs stopped, memory kept)."""
        self._transition(instance_uuid, "pause", {S.RUNNING}, S.PAUSED, lambda g: g.domain.suspend())

    def unpause(self, instance_uuid: str) -> None:
        """PAUSED -> RUNNING."""
        self._transition(instance_uuid, "unpause", {S.PAUSED}, S.RUNNING, lambda g: g.domain.resume())

    def suspend(self, instance_uuid: str) -> None:
        """RUNNING or PAUSED -> SUSPENDED: managed save (memory to disk, domain shut off). Saved as
        running, so a suspended-while-paused guest resumes running, as the contract says."""
        self._transition(instance_uuid, "suspend", {S.RUNNING, S.PAUSED}, S.SUSPENDED,
                         lambda g: g.domain.managedSave(libvirt.VIR_DOMAIN_SAVE_RUNNING))

    def resume(self, instance_uuid: str) -> None:
        """SUSPENDED -> RUNNING: start restores the managed save image (or wake a PM-suspended guest)."""
        def do(guest: Guest) -> None:
            if guest.is_active():
                guest.domain.pMWakeup(0)
            else:
                guest.start()
        self._transition(instance_uuid, "resume", {S.SUSPENDED}, S.RUNNING, do)

    # -- reads -------------------------------------------------------------------------------------

    def get_info(self, instance_uuid: str) -> InstanceInfo:
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, "get_info"):
            vcpus, memory_mb, cpu_time = guest.info()
            return InstanceInfo(uuid=instance_uuid, power_state=guest.power_state(), vcpus=vcpus,
                                memory_mb=memory_mb, cpu_time_ns=cpu_time)

    def get_diagnostics(self, instance_uuid: str) -> Diagnostics:
        """From libvirt: per-vCPU time and per-disk block stats of a running domain (zeros otherwise)."""
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, "get_diagnostics"):
            _vcpus, memory_mb, _cpu_time = guest.info()
            disks = [DiskDiagnostics(device=d.target, **guest.block_stats(d.target))
                     for d in guest.all_disks(inactive=False)]
            return Diagnostics(uuid=instance_uuid, power_state=guest.power_state(), driver=self.name,
                               memory_max_mb=memory_mb, cpu_time_ns=guest.vcpu_times(), disks=disks)

    def list_instances(self) -> list[str]:
        """The uuids of this host's domains (those carrying our metadata naming this host)."""
        try:
            domains = self._conn().listAllDomains(0)
        except libvirt.libvirtError as exc:
            raise DriverError(f"listing domains failed: {exc.get_error_message()}") from exc
        out = []
        for dom in domains:
            try:
                if self._owned(dom):
                    out.append(dom.UUIDString())
            except libvirt.libvirtError:  # undefined while we looked
                continue
        return sorted(out)

    def trigger_crash_dump(self, instance_uuid: str) -> None:
        """virDomainInjectNMI (compute API 2.17), as Nova's libvirt driver."""
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, "trigger_crash_dump"):
            state = guest.power_state()
            if state not in (S.RUNNING, S.PAUSED):
                raise InvalidPowerState(instance_uuid, "trigger_crash_dump", state)
            guest.domain.injectNMI(0)
        LOG.info("host %s: NMI injected into instance %s", self.host, instance_uuid)

    def get_console_output(self, instance_uuid: str, *, tail_lines: int | None = None) -> str:
        """The serial console log file (appended across restarts of the guest)."""
        self._guest(instance_uuid)
        try:
            text = Path(self.disks.console_path(instance_uuid)).read_text(errors="replace")
        except FileNotFoundError:
            text = ""
        return console_tail(text, tail_lines)

    def get_host_uptime(self) -> str:
        """The machine's uptime, as Nova's libvirt driver reports (libvirtd runs on this machine)."""
        return uptime_line(machine_uptime_seconds())

    def open_console(self, instance_uuid: str) -> LibvirtConsole:
        """The guest's serial port (a pty that virtlogd also logs to console.log) as a stream."""
        guest = self._guest(instance_uuid)
        state = guest.power_state()
        if state not in (S.RUNNING, S.PAUSED):
            raise InvalidPowerState(instance_uuid, "open_console", state)
        console = LibvirtConsole(self._conn(), guest.domain, instance_uuid, banner=self._log_tail(instance_uuid))
        LOG.info("host %s: console of instance %s opened", self.host, instance_uuid)
        return console

    def _log_tail(self, instance_uuid: str, size: int = 8192) -> bytes:
        """The last lines of the console log (up to `size` bytes, from a line start), as the pty wrote them."""
        try:
            with open(self.disks.console_path(instance_uuid), "rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - size))
                tail = log.read()
        except FileNotFoundError:
            return b""
        start = tail.find(b"\n") + 1 if len(tail) == size else 0
        return tail[start:]

    def get_host_resources(self) -> HostResources:
        """CPUs and memory from libvirt's node info, disk from the instances directory's file system."""
        conn = self._conn()
        try:
            model, memory_mb, cpus, mhz, nodes, sockets, cores, threads = conn.getInfo()
            hv_type, hv_version = conn.getType(), conn.getVersion()
        except libvirt.libvirtError as exc:
            raise DriverError(f"reading host resources failed: {exc.get_error_message()}") from exc
        return HostResources(
            hostname=self.host, vcpus=cpus, memory_mb=memory_mb, disk_gb=self.disks.statvfs_gb(),
            hypervisor_type=hv_type, hypervisor_version=hv_version,
            cpu_info={"arch": model, "mhz": mhz, "topology": {"nodes": nodes, "sockets": sockets,
                                                              "cores": cores, "threads": threads}})

    # -- volumes -----------------------------------------------------------------------------------

    def attach_volume(self, instance_uuid: str, connection: VolumeConnection) -> None:
        """Plug `connection.path` as a virtio disk: live and persistent for an active guest, persistent
        only otherwise. Same volume again: no-op. Taken device, missing file or a refusal raise
        VolumeAttachFailed and change nothing."""
        c = connection
        guest = self._guest(instance_uuid)
        try:
            active = guest.is_active()
            persistent = guest.all_disks(inactive=True)
            live = guest.all_disks(inactive=False) if active else []
            device = c.device.removeprefix("/dev/")
            in_config = any(d.volume_id == c.volume_id for d in persistent)
            in_live = any(d.volume_id == c.volume_id for d in live)
            if in_config and (in_live or not active):
                return
            for d in persistent + live:
                if d.target == device and d.volume_id != c.volume_id:
                    raise VolumeAttachFailed(instance_uuid, c.volume_id, f"device {c.device} is in use")
            if not os.path.exists(c.path):
                raise VolumeAttachFailed(instance_uuid, c.volume_id, f"no such file {c.path}")
            flags = libvirt.VIR_DOMAIN_AFFECT_CONFIG if not active else (
                libvirt.VIR_DOMAIN_AFFECT_LIVE if in_config else LIVE_AND_CONFIG)
            guest.domain.attachDeviceFlags(domxml.volume_disk_xml(c), flags)
        except libvirt.libvirtError as exc:
            if is_not_found(exc):
                raise InstanceNotFound(instance_uuid) from exc
            raise VolumeAttachFailed(instance_uuid, c.volume_id, exc.get_error_message()) from exc
        LOG.info("host %s: attached volume %s to instance %s as %s (live: %s)", self.host, c.volume_id,
                 instance_uuid, c.device, active)

    def detach_volume(self, instance_uuid: str, volume_id: str) -> None:
        """Unplug the volume live (waiting up to detach_timeout s for the guest to let go), then from
        the definition. A guest that does not let go raises VolumeAttachFailed with the volume still
        in its definition, so the caller keeps the export mounted."""
        guest = self._guest(instance_uuid)
        try:
            if guest.is_active():
                live = self._live_disk(guest, volume_id)
                if live is not None:
                    guest.domain.detachDeviceFlags(live.xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
                    if not self._wait(guest, lambda: self._live_disk(guest, volume_id) is None, self.detach_timeout):
                        raise VolumeAttachFailed(instance_uuid, volume_id,
                                                 f"the guest did not release the disk within {self.detach_timeout:.0f} s")
            for disk in guest.all_disks(inactive=True):
                if disk.volume_id == volume_id:
                    guest.domain.detachDeviceFlags(disk.xml, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        except libvirt.libvirtError as exc:
            if is_not_found(exc):
                raise InstanceNotFound(instance_uuid) from exc
            raise VolumeAttachFailed(instance_uuid, volume_id, exc.get_error_message()) from exc
        LOG.info("host %s: detached volume %s from instance %s", self.host, volume_id, instance_uuid)

    @staticmethod
    def _live_disk(guest: Guest, volume_id: str):
        if not guest.is_active():
            return None
        return next((d for d in guest.all_disks(inactive=False) if d.volume_id == volume_id), None)

    def list_volume_attachments(self, instance_uuid: str) -> list[VolumeConnection]:
        """The volumes in the persistent definition (disks with a serial; the root disk has none)."""
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, "list volumes"):
            return [d.connection() for d in guest.volume_disks(inactive=True)]


    # -- network interfaces ------------------------------------------------------------------------

    def plug_vif(self, instance_uuid: str, vif: VifSpec) -> None:
        """Afterwards the port is plugged on this host (bridge, DHCP entry, firewall chains as `vif` says) and
        the guest has a virtio NIC with its MAC on the bridge: live and defined for an active guest, defined
        only otherwise. A repeat changes nothing but applies changed security group rules (a group change
        arrives by refresh_vif_rules). If the guest refuses the NIC, a port new to it is unplugged again."""
        guest = self._guest(instance_uuid)
        known = self.network.ports.get(vif.port_id) is not None
        self.network.host_plug(instance_uuid, vif)
        try:
            with translated(instance_uuid, f"plug port {vif.port_id}"):
                self.network.attach(guest, vif, self._conn())
        except BaseException:
            if not known:
                self.network.host_unplug(vif.port_id, instance_uuid)
            raise
        LOG.info("host %s: plugged port %s into instance %s", self.host, vif.port_id, instance_uuid)

    def unplug_vif(self, instance_uuid: str, port_id: str) -> None:
        """Afterwards the guest has no NIC of the port (live or defined) and nothing of the port is left on
        this host. A port that is not plugged succeeds. A guest that does not let go of the NIC raises
        DriverError, with the port still plugged."""
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, f"unplug port {port_id}"):
            self.network.detach(guest, port_id, lambda done, timeout: self._wait(guest, done, timeout))
        self.network.host_unplug(port_id, instance_uuid)
        LOG.info("host %s: unplugged port %s from instance %s", self.host, port_id, instance_uuid)

    def list_vifs(self, instance_uuid: str) -> list[str]:
        """The port ids of the guest's NICs, in the guest's order (its definition's)."""
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, "list ports"):
            return [vif.port_id for vif in self.network.listed(guest)]

    def refresh_vif_rules(self, vifs_by_instance) -> list[str]:
        """The plugged ports among them get their new security group rules: the port records and the nftables
        chains rewritten in one transaction (the guest and its NICs untouched)."""
        done = self.network.rules_refresh(vifs_by_instance)
        LOG.info("host %s: security group rules refreshed on ports %s", self.host, done)
        return done

    def vif_rules(self, instance_uuid: str, port_id: str):
        rec = self.network.ports.get(port_id)
        return rec.vif.security_group_rules if rec is not None and rec.instance_uuid == instance_uuid else None

    def apply_group_members(self, members) -> list[str]:
        """The host's sets of these remote groups (those its ports' rules name) hold exactly their members:
        one nftables transaction that rewrites no chain."""
        done = self.network.members_apply(members)
        LOG.info("host %s: security group sets refreshed: %s", self.host, done)
        return done

    def group_members(self, group_id: str):
        return self.network.members(group_id)

    def apply_floating_ips(self, fips) -> None:
        """The host NATs exactly `fips`: DNAT/SNAT in `table ip compute_platform_nat`, each floating IP an
        address of its external network's bridge."""
        self.network.floating_apply(fips)

    def floating_ips(self):
        return self.network.floating.all()

    def reconcile_vifs(self, vifs_by_instance, group_members=None) -> dict:
        """At worker start: the host's data plane made exactly what the database's live instances here need."""
        return self.network.reconcile(vifs_by_instance, group_members)
