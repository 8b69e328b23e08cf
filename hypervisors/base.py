"""The contract every compute driver fulfils, and the plain values it takes and returns.

Pure Python: no Django, no ORM rows. Callers (the Celery tasks) pass an `InstanceSpec` in and get
`InstanceInfo` / `HostResources` back, so a driver can be tested, and one day run, without a database.

Every method promises a postcondition. Because Celery delivers at least once, repeating a call whose
postcondition already holds succeeds without doing anything ("pause a paused guest" is a no-op).
"""

from __future__ import annotations

import abc
import enum
import functools
import ipaddress
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    from hypervisors.console import ConsoleStream


class PowerState(enum.IntEnum):
    """A guest's power state, with Nova's numeric codes so clients read the same numbers."""

    NOSTATE = 0
    RUNNING = 1
    PAUSED = 3
    SHUTDOWN = 4
    CRASHED = 6
    SUSPENDED = 7


@functools.lru_cache(maxsize=1 << 16)
def _address_key(address: str) -> tuple[int, int, str]:
    parsed = ipaddress.ip_address(address)
    return parsed.version, int(parsed), str(parsed)


def sorted_members(addresses) -> tuple[str, ...]:
    """A remote group's members as every driver keeps them (`group_members`): normalised, without repeats,
    IPv4 first, in address order. ValueError for a value that is no address. Each set reload hands over the
    whole group, so a parsed address is kept, as a key that sorts without Python-level comparisons (parsing
    every member on every reload and comparing address objects was most of a build's settle in the bench:
    6.3 ms a reload of ~900 members, 1.3 ms with these keys)."""
    return tuple(key[2] for key in sorted({_address_key(a) for a in addresses}))


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    # A copy behind a read-only proxy: a frozen spec must not change when the caller's dict does.
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class ImageRef:
    """The image a guest boots from. Paths are local to the host; the fake ignores them."""

    id: str
    path: str | None = None
    disk_format: str = "raw"
    kernel_path: str | None = None
    ramdisk_path: str | None = None


@dataclass(frozen=True)
class SecurityGroupRule:
    """One allow rule the data plane enforces on a port's tap (security groups are allow-lists)."""

    direction: str                     # "ingress" (to the guest) or "egress"
    ethertype: str = "IPv4"            # "IPv4" or "IPv6"
    protocol: str | None = None        # "tcp", "udp", "icmp", or None for any
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_ip_prefix: str | None = None  # CIDR; None means any
    # "from (to) members of this group": matched against the host's set of the group's member addresses
    # (apply_group_members), so a member coming or going changes the set, never this rule
    remote_group_id: str | None = None


@dataclass(frozen=True)
class VifSpec:
    """One guest NIC: a network service port as a host plugs it. Plain data (the network service's rows turned
    into values on the host), so drivers and the data plane never import Django.

    Names follow Neutron's Linux bridge agent: the bridge `brq` + network id[:11], the tap `tap` + port
    id[:11] (both within IFNAMSIZ)."""

    port_id: str
    mac: str
    network_id: str
    fixed_ips: tuple[str, ...] = ()
    cidr: str | None = None            # the subnet of the first fixed IP
    gateway: str | None = None
    dns_nameservers: tuple[str, ...] = ()
    mtu: int = 1500
    security_group_rules: tuple[SecurityGroupRule, ...] = ()
    dhcp_server: str | None = None     # the subnet's DHCP port's address (None: no DHCP on the subnet)

    @property
    def bridge(self) -> str:
        return f"brq{self.network_id[:11]}"

    @property
    def tap(self) -> str:
        return f"tap{self.port_id[:11]}"

    def __post_init__(self) -> None:
        if not self.port_id or not self.network_id or not self.mac:
            raise ValueError("VifSpec needs port_id, network_id and mac")
        object.__setattr__(self, "fixed_ips", tuple(self.fixed_ips))
        object.__setattr__(self, "dns_nameservers", tuple(self.dns_nameservers))
        object.__setattr__(self, "security_group_rules", tuple(self.security_group_rules))


@dataclass(frozen=True)
class FloatingIPSpec:
    """A floating IP as its port's host NATs it: traffic to `floating_ip` (an address of the external network
    `network_id`, subnet `cidr`) goes to the port's `fixed_ip`, and the port's traffic out to the external
    network leaves as `floating_ip`."""

    floating_ip: str
    fixed_ip: str
    port_id: str
    network_id: str
    cidr: str


@dataclass(frozen=True)
class InstanceSpec:
    """Everything a driver needs to build one guest. Built on the host from the instance row (tasks/specs.py):
    tasks carry ids, never specs."""

    uuid: str
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    image: ImageRef | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)
    key_data: str | None = None
    user_data: str | None = None       # decoded (the API keeps it base64); bytes beyond UTF-8 as surrogates
    vifs: tuple[VifSpec, ...] = ()     # NICs, in the guest's order
    config_drive: bool = False         # attach a config-2 ISO (metadata, network_data, user_data)
    # Boot from volume: the root disk (vda, boot order 1) is this volume's file, not a disk made from `image`.
    # The caller has mounted its export (MountManager) before spawn; the guest lists it among its volumes.
    boot_volume: VolumeConnection | None = None
    # --- what the guest is told about itself (config drive and metadata service, hypervisors/configdrive.py) ---
    display_name: str = ""             # the server's name (`name` is the hypervisor's: instance-0000000a)
    hostname: str = ""                 # empty: derived from the name
    key_name: str | None = None
    availability_zone: str = "nova"
    launch_index: int = 0
    # --- end guest data ---

    def __post_init__(self) -> None:
        object.__setattr__(self, "vifs", tuple(self.vifs))
        if not self.uuid:
            raise ValueError("InstanceSpec.uuid must not be empty")
        if self.vcpus < 1 or self.memory_mb < 1 or self.root_gb < 0:
            raise ValueError(
                f"InstanceSpec {self.uuid}: vcpus and memory_mb must be positive, root_gb not negative"
            )
        object.__setattr__(self, "metadata", _frozen_mapping(self.metadata))


@dataclass(frozen=True)
class InstanceInfo:
    """What the hypervisor reports about one guest right now."""

    uuid: str
    power_state: PowerState
    vcpus: int
    memory_mb: int
    cpu_time_ns: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "power_state", PowerState(self.power_state))


@dataclass(frozen=True)
class DiskDiagnostics:
    """One disk's I/O since the guest started (zeros while it is not running)."""

    device: str  # the guest's name for it: vda, vdb...
    read_bytes: int = 0
    read_requests: int = 0
    write_bytes: int = 0
    write_requests: int = 0
    errors_count: int = 0


@dataclass(frozen=True)
class Diagnostics:
    """What the hypervisor reports about one guest's use of its resources (Nova's server diagnostics)."""

    uuid: str
    power_state: PowerState
    driver: str
    memory_max_mb: int
    cpu_time_ns: tuple[int, ...] = ()  # per vCPU; empty while the guest is not running
    disks: tuple[DiskDiagnostics, ...] = ()
    uptime_s: int | None = None  # None where the hypervisor does not tell

    def __post_init__(self) -> None:
        object.__setattr__(self, "power_state", PowerState(self.power_state))
        object.__setattr__(self, "cpu_time_ns", tuple(self.cpu_time_ns))
        object.__setattr__(self, "disks", tuple(self.disks))


@dataclass(frozen=True)
class HostResources:
    """The capacity this host offers to the scheduler."""

    hostname: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    hypervisor_type: str
    hypervisor_version: int
    cpu_info: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cpu_info", _frozen_mapping(self.cpu_info))


@dataclass(frozen=True)
class VolumeConnection:
    """A volume as a guest sees it: a file on a host path (under a mounted export) plugged in as `device`.

    `path` is the file on this host; the MountManager has made sure its export is mounted before a driver
    sees the connection. `device` is the guest's name for it (`/dev/vdb`), `serial` what the guest reads
    back as the disk's serial (the volume id, so a guest can find its volume by `/dev/disk/by-id`).
    """

    volume_id: str
    path: str
    device: str
    serial: str = ""
    read_only: bool = False
    disk_format: str = "raw"

    def __post_init__(self) -> None:
        if not self.volume_id or not self.path:
            raise ValueError("VolumeConnection needs volume_id and path")
        if not self.device.startswith("/dev/vd") or len(self.device) < len("/dev/vdb"):
            raise ValueError(f"volume {self.volume_id}: device {self.device!r} is not a /dev/vdX name")
        if not self.serial:
            object.__setattr__(self, "serial", self.volume_id[:20])


class DriverError(Exception):
    """Base of every error a driver raises on purpose. `instance_uuid` is set when one guest is at fault."""

    def __init__(self, message: str, instance_uuid: str | None = None) -> None:
        super().__init__(message, instance_uuid)
        self.message = message
        self.instance_uuid = instance_uuid

    def __str__(self) -> str:
        return self.message


class LiveMigrationAborted(DriverError):
    """live_migrate stopped because live_migration_abort asked it to; the guest runs on here."""

    def __init__(self, instance_uuid: str) -> None:
        super().__init__(f"live migration of instance {instance_uuid} aborted", instance_uuid)
        self.args = (instance_uuid,)


class InstanceNotFound(DriverError):
    def __init__(self, instance_uuid: str) -> None:
        super().__init__(f"instance {instance_uuid} not found on this host", instance_uuid)
        # args must match __init__'s signature so the error survives pickling between processes
        self.args = (instance_uuid,)


class InstanceExists(DriverError):
    def __init__(self, instance_uuid: str) -> None:
        super().__init__(f"instance {instance_uuid} already exists on this host", instance_uuid)
        self.args = (instance_uuid,)


class InvalidPowerState(DriverError):
    """The guest exists but its power state does not allow the action (e.g. pause a shut-down guest)."""

    def __init__(self, instance_uuid: str, action: str, power_state: PowerState) -> None:
        power_state = PowerState(power_state)
        super().__init__(
            f"cannot {action} instance {instance_uuid} while it is {power_state.name}", instance_uuid
        )
        self.action = action
        self.power_state = power_state
        self.args = (instance_uuid, action, power_state)


class VolumeAttachFailed(DriverError):
    """The hypervisor refused to plug or unplug a volume; the guest is left as it was."""

    def __init__(self, instance_uuid: str, volume_id: str, reason: str) -> None:
        super().__init__(f"volume {volume_id} on instance {instance_uuid}: {reason}", instance_uuid)
        self.volume_id = volume_id
        self.reason = reason
        self.args = (instance_uuid, volume_id, reason)


class VifPlugFailed(DriverError):
    """The hypervisor refused to plug or unplug a NIC; the guest is left as it was."""

    def __init__(self, instance_uuid: str, port_id: str, reason: str) -> None:
        super().__init__(f"port {port_id} on instance {instance_uuid}: {reason}", instance_uuid)
        self.port_id = port_id
        self.reason = reason
        self.args = (instance_uuid, port_id, reason)


class ComputeDriver(abc.ABC):
    """One hypervisor host, as the compute worker for that host sees it.

    Shared rules, so each method need not repeat them:
    - A method taking an `instance_uuid` raises InstanceNotFound when no such guest exists on this host,
      except `destroy`, for which a missing guest is already the postcondition.
    - Repeating a call whose postcondition already holds succeeds and changes nothing.
    - A call that raises leaves the guest as it was before the call.
    """

    name: str = ""
    capabilities: dict[str, bool] = {
        "supports_pause": True,
        "supports_suspend": True,
        "supports_console_output": True,
        # libvirt's test driver cannot plug devices; a driver on it says so and the suite skips those checks
        "supports_volume_attach": True,
        # an interactive serial console (open_console); libvirt's test driver has none
        "supports_serial_console": True,
        # moves (resize, cold and live migration): a driver that implements them says so
        "supports_migration": False,
        "supports_live_migration": False,
    }

    def __init__(self, *, host: str, **options: Any) -> None:
        if not host or "/" in host:
            raise ValueError(f"invalid host name {host!r}")
        self.host = host
        self.options = options

    def init_host(self) -> None:
        """Called once when this host's worker starts, before any other call. Default: nothing to do."""

    @abc.abstractmethod
    def spawn(self, spec: InstanceSpec) -> None:
        """Define and start the guest described by `spec`; afterwards it is listed and RUNNING.

        If a guest with `spec.uuid` already exists (in any power state) this raises InstanceExists and
        leaves that guest untouched. If spawning fails, nothing is left behind: no guest, no disks.
        With `spec.boot_volume` the guest boots from that file (which must exist: else DriverError) and
        `list_volume_attachments` includes it; destroy never removes a volume's file.
        """

    @abc.abstractmethod
    def destroy(self, instance_uuid: str) -> None:
        """Stop the guest hard, undefine it and remove its disks, from any power state.

        Destroying a missing instance succeeds, so a repeated delete is harmless.
        """

    @abc.abstractmethod
    def power_off(self, instance_uuid: str, *, timeout: float = 60.0) -> None:
        """Afterwards the guest is SHUTDOWN, whatever its power state before; already off succeeds.

        Asks the guest to shut down (ACPI), and cuts the power if it has not stopped after `timeout`
        seconds. A driver without real guests (the fake) just switches state.
        """

    @abc.abstractmethod
    def power_on(self, instance_uuid: str) -> None:
        """Start a SHUTDOWN or CRASHED guest; afterwards it is RUNNING. Already running succeeds.

        A PAUSED or SUSPENDED guest raises InvalidPowerState: use unpause or resume (or a hard reboot).
        """

    @abc.abstractmethod
    def reboot(self, instance_uuid: str, *, hard: bool) -> None:
        """Restart the guest; afterwards it is RUNNING.

        Soft: asks the running guest to reboot; any state but RUNNING raises InvalidPowerState.
        Hard: cuts the power and starts it again, from any power state (SHUTDOWN, PAUSED, SUSPENDED,
        CRASHED), which is why recovery uses it to repair a guest in an unknown state.
        """

    @abc.abstractmethod
    def pause(self, instance_uuid: str) -> None:
        """RUNNING -> PAUSED (vCPUs stopped, memory kept). Already PAUSED succeeds; other states raise
        InvalidPowerState."""

    @abc.abstractmethod
    def unpause(self, instance_uuid: str) -> None:
        """PAUSED -> RUNNING. Already RUNNING succeeds; other states raise InvalidPowerState."""

    @abc.abstractmethod
    def suspend(self, instance_uuid: str) -> None:
        """RUNNING or PAUSED -> SUSPENDED (memory saved to disk). Already SUSPENDED succeeds; other
        states raise InvalidPowerState."""

    @abc.abstractmethod
    def resume(self, instance_uuid: str) -> None:
        """SUSPENDED -> RUNNING. Already RUNNING succeeds; other states raise InvalidPowerState."""

    @abc.abstractmethod
    def get_info(self, instance_uuid: str) -> InstanceInfo:
        """The guest's current power state and size. Raises InstanceNotFound for a missing guest."""

    @abc.abstractmethod
    def list_instances(self) -> list[str]:
        """The uuids of every guest defined on this host, in any power state."""

    @abc.abstractmethod
    def get_console_output(self, instance_uuid: str, *, tail_lines: int | None = None) -> str:
        """The guest's serial console log, or only its last `tail_lines` lines. Never modifies the guest."""

    @abc.abstractmethod
    def get_diagnostics(self, instance_uuid: str) -> Diagnostics:
        """The guest's resource use now: power state, memory, per-vCPU time and per-disk I/O (every disk of
        the guest, volumes included). Never modifies the guest; InstanceNotFound for a missing one."""

    @abc.abstractmethod
    def get_host_resources(self) -> HostResources:
        """This host's total capacity (not what is free: the scheduler accounts for claims)."""

    def get_host_uptime(self) -> str:
        """The host's `uptime` line (hypervisors/uptime.py), for the hypervisor uptime API. Raises
        NotImplementedError when the driver cannot tell (the API then answers 501, as Nova's)."""
        raise NotImplementedError("Virt driver does not implement uptime function.")

    @abc.abstractmethod
    def attach_volume(self, instance_uuid: str, connection: VolumeConnection) -> None:
        """Afterwards the guest has `connection.path` as disk `connection.device`, from any power state.

        A running (or paused) guest gets it live and in its persistent definition; a stopped or suspended
        guest only in its definition, so it appears at the next start. Attaching the same volume again
        succeeds and changes nothing (at-least-once delivery). Another volume already on `device` raises
        VolumeAttachFailed, as does a hypervisor refusal; the guest is then left as before the call.
        """

    @abc.abstractmethod
    def detach_volume(self, instance_uuid: str, volume_id: str) -> None:
        """Afterwards no disk of the guest is `volume_id`, live or in its definition.

        Detaching a volume that is not attached succeeds. A hypervisor refusal raises VolumeAttachFailed
        and leaves the volume attached: the caller must not unmount its export.
        """

    @abc.abstractmethod
    def list_volume_attachments(self, instance_uuid: str) -> list[VolumeConnection]:
        """The volumes in the guest's definition, as attached. The MountManager rebuilds from this at
        worker start: every path listed needs its export mounted on this host."""

    # -- the data plane (wt-netplane) --------------------------------------------------------------

    def reconcile_vifs(self, vifs_by_instance: Mapping[str, Any],
                       group_members: Mapping[str, Sequence[str]] | None = None) -> dict:
        """At worker start, with {instance uuid: its VifSpecs} for every live instance the database places on
        this host and the members of the remote groups their rules name: afterwards the host's network
        plumbing (bridges, DHCP, firewall and its group sets) is exactly what those ports need, stale pieces
        removed and missing ones made again. Returns a summary for the log.
        Default: a driver without host networking has nothing to reconcile."""
        return {}
    # -- the interactive serial console (the operator console's terminal; Nova's serial proxy) --------

    @abc.abstractmethod
    def open_console(self, instance_uuid: str) -> "ConsoleStream":
        """Open the guest's serial console for interactive use; the caller closes the stream.

        The guest must be RUNNING or PAUSED, else InvalidPowerState; a driver or guest without a
        console raises DriverError. Opening or closing a console never changes the guest, and the
        console log that `get_console_output` reads keeps being written meanwhile."""
    # --- moves A: snapshot and rescue (rebuild, shelve and unshelve compose these with spawn/destroy) ---

    @abc.abstractmethod
    def snapshot(self, instance_uuid: str, target_path: str) -> None:
        """Write the guest's root disk as it is now to `target_path`: a standalone qcow2 (no backing file)
        that another guest can boot from. Works from any power state and leaves the guest in it (a running
        guest may be paused for the copy). If this fails, nothing is left at `target_path` and the guest is
        as before; a repeat overwrites the file."""

    @abc.abstractmethod
    def rescue(self, instance_uuid: str, rescue_image: ImageRef | None) -> None:
        """Afterwards the guest is RUNNING from a fresh disk of `rescue_image` (None: a blank disk), with its
        own root disk as its second disk, from any power state. Its own definition is kept for `unrescue`.
        Rescuing a guest already in rescue succeeds and changes nothing. If this fails, the guest is left
        as defined before the call (possibly powered off)."""

    @abc.abstractmethod
    def unrescue(self, instance_uuid: str) -> None:
        """Afterwards the guest is RUNNING from its own root disk with its own definition again (volumes
        included), and the rescue disk is gone. A guest not in rescue is left as it is (a repeat succeeds)."""

    @abc.abstractmethod
    def is_rescued(self, instance_uuid: str) -> bool:
        """Whether the guest currently runs from a rescue disk."""
    # -- NICs (the network service's ports) ------------------------------------------------------------
    # spawn plugs every VIF of `spec.vifs`, in order, as part of the guest (destroy takes them away).

    @abc.abstractmethod
    def plug_vif(self, instance_uuid: str, vif: VifSpec) -> None:
        """Afterwards the guest has a NIC for `vif.port_id` with `vif.mac`, live if it runs and in its definition,
        from any power state (os-interface attach). Plugging the same port again succeeds and changes nothing.
        A hypervisor refusal raises VifPlugFailed and leaves the guest as before the call."""

    @abc.abstractmethod
    def unplug_vif(self, instance_uuid: str, port_id: str) -> None:
        """Afterwards the guest has no NIC for `port_id`, live or in its definition. Unplugging a port that is not
        plugged succeeds. A refusal raises VifPlugFailed with the NIC still there."""

    @abc.abstractmethod
    def list_vifs(self, instance_uuid: str) -> list[str]:
        """The port ids of the guest's NICs, in the guest's order (its definition's)."""

    # -- security groups of plugged ports (the network service's push when a group changes) ------------

    @abc.abstractmethod
    def refresh_vif_rules(self, vifs_by_instance: Mapping[str, Any]) -> list[str]:
        """With {instance uuid: VifSpecs}: afterwards each of those ports that is plugged here enforces its
        VifSpec's `security_group_rules` (nothing else of the port or the guest changes). Ports not plugged
        here, or of guests that are gone, are skipped: a push may cross an unplug or a delete. Repeating
        succeeds. Returns the port ids whose rules were applied."""

    @abc.abstractmethod
    def vif_rules(self, instance_uuid: str, port_id: str) -> tuple[SecurityGroupRule, ...] | None:
        """The rules the port enforces now, as last plugged or refreshed; None if it is not plugged here."""

    # -- remote security groups as address sets (Neutron's ipset; wt-netperf) ------------------------

    @abc.abstractmethod
    def apply_group_members(self, members: Mapping[str, Sequence[str]]) -> list[str]:
        """With {remote group id: its members' addresses (IPv4 and IPv6 alike)}: afterwards every rule of this
        host's ports naming one of these groups (`SecurityGroupRule.remote_group_id`) matches exactly those
        addresses. No port's rules are rewritten, and groups not named keep their addresses. Only groups some
        plugged port's rule names are kept (the others are dropped, as is a group when the last rule naming it
        goes). Repeating succeeds. Returns the group ids applied."""

    @abc.abstractmethod
    def group_members(self, group_id: str) -> tuple[str, ...] | None:
        """The addresses the host matches for the remote group now (sorted), None if it keeps no set for it."""

    # -- floating IPs (NAT) of this host's ports --------------------------------------------------------

    @abc.abstractmethod
    def apply_floating_ips(self, fips: Sequence[FloatingIPSpec]) -> None:
        """Afterwards this host NATs exactly `fips` (every floating IP of its ports: one not listed goes).
        Repeating succeeds; an empty list leaves no NAT at all."""

    @abc.abstractmethod
    def floating_ips(self) -> list[FloatingIPSpec]:
        """The floating IPs this host NATs now, as last applied."""
    # --- moves: resize, cold and live migration (evacuate is a spawn on the destination) ----------------
    # The caller has the volumes' exports mounted on the destination before any of these starts the guest
    # there, and releases the source's mounts only after the guest has left the source.

    def migrate_disk_and_power_off(self, instance_uuid: str, dest_host: str) -> None:
        """Source side of a resize or cold migration: afterwards the guest is SHUTDOWN here (kept defined,
        for a revert) and its disk is available to `dest_host`'s finish_migration. Repeating succeeds.
        Raises InstanceNotFound for a missing guest; on failure the guest is left as before the call."""
        raise NotImplementedError(f"driver {self.name} does not migrate")

    def finish_migration(self, spec: InstanceSpec, volumes: list[VolumeConnection], *, power_on: bool) -> None:
        """Destination side: afterwards the guest runs here (SHUTDOWN if not `power_on`) at `spec`'s size
        with exactly `volumes` plugged in. Repeating succeeds and changes nothing. On failure nothing of the
        guest is left on this host."""
        raise NotImplementedError(f"driver {self.name} does not migrate")

    def finish_revert_migration(self, spec: InstanceSpec, volumes: list[VolumeConnection], *,
                                power_on: bool) -> None:
        """Source side of a revert: the guest kept by migrate_disk_and_power_off is back at `spec`'s size with
        `volumes`, RUNNING if `power_on`. Repeating succeeds. Raises InstanceNotFound if it is gone."""
        raise NotImplementedError(f"driver {self.name} does not migrate")

    def live_migrate(self, instance_uuid: str, dest_host: str, volumes: list[VolumeConnection], *,
                     block_migration: bool) -> None:
        """Move the RUNNING or PAUSED guest to `dest_host` without stopping it: afterwards it is defined
        there, in the same power state, with `volumes` (their paths on the destination), and no longer here.
        If it is already gone from here and present there, this succeeds (a repeated call). Another power
        state raises InvalidPowerState; any failure leaves the guest running here."""
        raise NotImplementedError(f"driver {self.name} does not live-migrate")

    def live_migration_abort(self, instance_uuid: str) -> None:
        """Ask the live migration of the guest in progress on this host (its source) to stop: that live_migrate
        call then raises LiveMigrationAborted with the guest running here, as before it. Nothing in progress:
        nothing happens (the migration finished or failed first)."""
        raise NotImplementedError(f"driver {self.name} does not live-migrate")
    # --- microversions: trigger_crash_dump (compute API 2.17) ---
    @abc.abstractmethod
    def trigger_crash_dump(self, instance_uuid: str) -> None:
        """Send the guest a non-maskable interrupt, which a guest kernel configured for it answers with a
        crash dump (Nova's trigger_crash_dump; libvirt's virDomainInjectNMI).

        The guest must be RUNNING or PAUSED (delivered when it runs again), else InvalidPowerState; a missing guest raises InstanceNotFound. Nothing
        else about the guest changes: what the guest's kernel does with the NMI is its own business.
        """
