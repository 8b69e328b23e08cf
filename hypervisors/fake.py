"""FakeDriver: a hypervisor with no guests, only their bookkeeping, persisted per host in SQLite.

Why SQLite: a compute worker is killed and restarted in the integration tests, and the restarted worker
must still see its guests, exactly as it would with libvirt. Several threads and processes serve the same
host at once, so every operation is one short `BEGIN IMMEDIATE` transaction: the check of the power
state and its change can never interleave with another writer. Each thread keeps its own connection
(closing the last connection to a WAL database forces a checkpoint, which was a quarter of a build).

It raises exactly what a real driver raises (InstanceNotFound, InstanceExists, InvalidPowerState), so the
tasks above it are exercised honestly. Its networking and moves are mixins: fake_network.py, fake_moves.py.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import tempfile
import threading
import time
from typing import Callable, Iterator, Mapping

from hypervisors.base import (
    ComputeDriver,
    Diagnostics,
    DiskDiagnostics,
    DriverError,
    HostResources,
    ImageRef,
    InstanceExists,
    InstanceInfo,
    InstanceNotFound,
    InstanceSpec,
    InvalidPowerState,
    VolumeAttachFailed,
    VolumeConnection,
    PowerState,
)
from hypervisors.console import ConsoleStream, EchoConsole, console_tail
from hypervisors.fake_moves import FakeMoves
from hypervisors.fake_network import FakeNetworking
from hypervisors.uptime import uptime_line

LOG = logging.getLogger(__name__)

OPERATIONS = frozenset(
    {"spawn", "destroy", "power_off", "power_on", "reboot", "pause", "unpause", "suspend", "resume",
     "attach_volume", "detach_volume", "snapshot", "rescue", "unrescue", "plug_vif", "unplug_vif",
     # moves
     "migrate_disk_and_power_off", "finish_migration", "finish_revert_migration", "live_migrate"}
)
# Operations a test can make fail for one guest (inject_fault).
FAULTABLE = frozenset({"get_info"})
S = PowerState
# A fake snapshot starts as a qcow2 file does ("QFI\xfb", version 3), so format checks downstream hold.
FAKE_QCOW2_MAGIC = b"QFI\xfb\x00\x00\x00\x03"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS guests (
    uuid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    power_state INTEGER NOT NULL,
    vcpus INTEGER NOT NULL,
    memory_mb INTEGER NOT NULL,
    console TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS volumes (
    instance_uuid TEXT NOT NULL REFERENCES guests(uuid) ON DELETE CASCADE,
    volume_id TEXT NOT NULL,
    path TEXT NOT NULL,
    device TEXT NOT NULL,
    serial TEXT NOT NULL,
    read_only INTEGER NOT NULL,
    disk_format TEXT NOT NULL,
    PRIMARY KEY (instance_uuid, volume_id)
);
CREATE TABLE IF NOT EXISTS rescues (
    instance_uuid TEXT PRIMARY KEY REFERENCES guests(uuid) ON DELETE CASCADE,
    image_id TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS vifs (
    instance_uuid TEXT NOT NULL REFERENCES guests(uuid) ON DELETE CASCADE,
    port_id TEXT NOT NULL,
    mac TEXT NOT NULL,
    network_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (instance_uuid, port_id)
);
-- the floating IPs the host NATs, as last applied
CREATE TABLE IF NOT EXISTS floating_ips (
    floating_ip TEXT PRIMARY KEY,
    fixed_ip TEXT NOT NULL,
    port_id TEXT NOT NULL,
    network_id TEXT NOT NULL,
    cidr TEXT NOT NULL
);
-- the security group rules a plugged port enforces (JSON), as plugged or last refreshed
CREATE TABLE IF NOT EXISTS vif_rules (
    instance_uuid TEXT NOT NULL REFERENCES guests(uuid) ON DELETE CASCADE,
    port_id TEXT NOT NULL,
    rules TEXT NOT NULL,
    PRIMARY KEY (instance_uuid, port_id)
);
-- the members of the remote groups plugged ports' rules name (JSON list), as last applied
CREATE TABLE IF NOT EXISTS group_members (
    group_id TEXT PRIMARY KEY,
    addresses TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    instance_uuid TEXT NOT NULL,
    operation TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (instance_uuid, operation)
);
"""


def parse_delays(text: str) -> dict[str, float]:
    """Parse the delays option's text form (settings.FAKE_DRIVER_DELAYS), e.g. "spawn=2,destroy=1.5", into {"spawn": 2.0, "destroy": 1.5}."""
    delays = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        op, sep, seconds = item.partition("=")
        if not sep:
            raise ValueError(f"delay {item!r} is not op=seconds")
        delays[op.strip()] = float(seconds)
    return delays


class FakeDriver(FakeMoves, FakeNetworking, ComputeDriver):
    name = "fake"
    capabilities = {**ComputeDriver.capabilities, "supports_migration": True, "supports_live_migration": True}

    def __init__(
        self,
        *,
        host: str,
        state_dir: str | os.PathLike | None = None,
        vcpus: int = 32,
        memory_mb: int = 131072,
        disk_gb: int = 2048,
        delays: Mapping[str, float] | None = None,
        before_commit: Callable[[str], None] | None = None,
    ) -> None:
        """`before_commit(op)` (tests only) runs inside each write transaction after its writes and before
        its COMMIT, so a test can kill a worker at the one point where a non-atomic write would show."""
        super().__init__(host=host)
        # A fixed default, not a fresh temp dir: a restarted worker must find the same file.
        state_dir = state_dir or os.path.join(tempfile.gettempdir(), "fake-hypervisor")
        delays = delays or {}
        unknown = set(delays) - OPERATIONS
        if unknown:  # a typo would otherwise silently disable the delay a test relies on
            raise ValueError(f"unknown operations in delays: {sorted(unknown)}; known: {sorted(OPERATIONS)}")
        self.delays = {op: float(seconds) for op, seconds in delays.items()}
        self.before_commit = before_commit
        self._started = time.monotonic()
        self.state_dir = str(state_dir)
        self.vcpus, self.memory_mb, self.disk_gb = vcpus, memory_mb, disk_gb
        os.makedirs(state_dir, exist_ok=True)
        self.db_path = os.path.join(state_dir, f"fake-{host}.sqlite")
        self._local = threading.local()
        self._aborts: dict[str, threading.Event] = {}  # live migrations under way here: their abort switch
        with contextlib.closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # persistent in the file; readers never block writers
            conn.executescript(_SCHEMA)

    # -- storage -------------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN ourselves; timeout=30 is SQLite's busy timeout.
        conn = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")  # destroying a guest drops its volume rows
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _thread_conn(self) -> sqlite3.Connection:
        # One connection per thread and process: sqlite3 connections must not cross threads or a fork.
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.conn, local.pid = self._connect(), os.getpid()
        return local.conn

    @contextlib.contextmanager
    def _transaction(self, op: str) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so read-check-write is atomic across processes.
        conn = self._thread_conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            if self.before_commit is not None:
                self.before_commit(op)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextlib.contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        yield self._thread_conn()

    def _power_state(self, conn: sqlite3.Connection, uuid: str) -> PowerState:
        row = conn.execute("SELECT power_state FROM guests WHERE uuid = ?", (uuid,)).fetchone()
        if row is None:
            raise InstanceNotFound(uuid)
        return PowerState(row[0])

    def _delay(self, op: str) -> None:
        # Before any state change, so a worker killed while sleeping leaves the host as before the call.
        seconds = self.delays.get(op, 0.0)
        if seconds > 0:
            time.sleep(seconds)

    def _transition(
        self,
        uuid: str,
        action: str,
        *,
        allowed: frozenset[PowerState] | None,
        target: PowerState,
        line: str,
        noop_if_target: bool = True,
    ) -> None:
        """Move the guest to `target` if its state is in `allowed` (None: any state)."""
        self._delay(action)
        with self._transaction(action) as conn:
            state = self._power_state(conn, uuid)
            if noop_if_target and state == target:
                return
            if allowed is not None and state not in allowed:
                raise InvalidPowerState(uuid, action, state)
            conn.execute(
                "UPDATE guests SET power_state = ?, console = console || ? WHERE uuid = ?",
                (int(target), line + "\n", uuid),
            )
        LOG.info("fake host %s: %s instance %s -> %s", self.host, action, uuid, target.name)

    # -- the driver contract ---------------------------------------------------------------------------

    def spawn(self, spec: InstanceSpec) -> None:
        self._delay("spawn")
        boot_log = (
            f"fake: booting {spec.name} ({spec.uuid})\n"
            f"[    0.000000] Linux version 6.1.0-fake (fake@{self.host}) #1 SMP\n"
            f"[    0.421337] virtio_blk virtio1: [vda] {spec.root_gb} GiB\n"
            f"[    1.137000] Run /init as init process\n"
            f"{spec.name} login:\n"
        )
        with self._transaction("spawn") as conn:
            if conn.execute("SELECT 1 FROM guests WHERE uuid = ?", (spec.uuid,)).fetchone():
                raise InstanceExists(spec.uuid)
            # Checked inside the transaction, before the insert: the failure leaves nothing behind.
            if spec.metadata.get("fake:fail") == "spawn":
                raise DriverError("injected spawn failure", spec.uuid)
            boot = spec.boot_volume
            # What a real hypervisor checks and the fake can too: the file is there (its export is mounted).
            if boot is not None and not os.path.exists(boot.path):
                raise DriverError(f"boot volume {boot.volume_id}: no such file {boot.path}", spec.uuid)
            conn.execute(
                "INSERT INTO guests (uuid, name, power_state, vcpus, memory_mb, console, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (spec.uuid, spec.name, int(S.RUNNING), spec.vcpus, spec.memory_mb, boot_log, time.time()),
            )
            for vif in spec.vifs:
                self._insert_vif(conn, spec.uuid, vif)
            if boot is not None:
                conn.execute("INSERT INTO volumes VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (spec.uuid, boot.volume_id, boot.path, boot.device, boot.serial, int(boot.read_only),
                              boot.disk_format))
        LOG.info("fake host %s: spawned instance %s%s", self.host, spec.uuid,
                 f" from volume {boot.volume_id}" if boot is not None else "")

    def destroy(self, instance_uuid: str) -> None:
        self._delay("destroy")
        with self._transaction("destroy") as conn:
            deleted = conn.execute("DELETE FROM guests WHERE uuid = ?", (instance_uuid,)).rowcount
            self._groups_prune(conn)
        LOG.info("fake host %s: destroyed instance %s (existed: %s)", self.host, instance_uuid, bool(deleted))

    def power_off(self, instance_uuid: str, *, timeout: float = 60.0) -> None:
        self._transition(instance_uuid, "power_off", allowed=None, target=S.SHUTDOWN,
                         line="fake: reached target Power-Off")

    def power_on(self, instance_uuid: str) -> None:
        self._transition(instance_uuid, "power_on", allowed=frozenset({S.SHUTDOWN, S.CRASHED}),
                         target=S.RUNNING, line="fake: powered on; login:")

    def reboot(self, instance_uuid: str, *, hard: bool) -> None:
        allowed = None if hard else frozenset({S.RUNNING})
        kind = "hard" if hard else "soft"
        self._transition(instance_uuid, "reboot", allowed=allowed, target=S.RUNNING,
                         line=f"fake: {kind} reboot; login:", noop_if_target=False)

    def pause(self, instance_uuid: str) -> None:
        self._transition(instance_uuid, "pause", allowed=frozenset({S.RUNNING}), target=S.PAUSED,
                         line="fake: paused")

    def unpause(self, instance_uuid: str) -> None:
        self._transition(instance_uuid, "unpause", allowed=frozenset({S.PAUSED}), target=S.RUNNING,
                         line="fake: unpaused")

    def suspend(self, instance_uuid: str) -> None:
        self._transition(instance_uuid, "suspend", allowed=frozenset({S.RUNNING, S.PAUSED}),
                         target=S.SUSPENDED, line="fake: PM: suspend entry (deep)")

    def resume(self, instance_uuid: str) -> None:
        self._transition(instance_uuid, "resume", allowed=frozenset({S.SUSPENDED}), target=S.RUNNING,
                         line="fake: PM: suspend exit")

    def get_info(self, instance_uuid: str) -> InstanceInfo:
        with self._reader() as conn:
            self._injected_fault(conn, instance_uuid, "get_info")
            row = conn.execute(
                "SELECT power_state, vcpus, memory_mb FROM guests WHERE uuid = ?", (instance_uuid,)
            ).fetchone()
        if row is None:
            raise InstanceNotFound(instance_uuid)
        return InstanceInfo(uuid=instance_uuid, power_state=PowerState(row[0]), vcpus=row[1], memory_mb=row[2])

    def list_instances(self) -> list[str]:
        with self._reader() as conn:
            return [row[0] for row in conn.execute("SELECT uuid FROM guests ORDER BY created_at, uuid")]

    def get_console_output(self, instance_uuid: str, *, tail_lines: int | None = None) -> str:
        with self._reader() as conn:
            row = conn.execute("SELECT console FROM guests WHERE uuid = ?", (instance_uuid,)).fetchone()
        if row is None:
            raise InstanceNotFound(instance_uuid)
        return console_tail(row[0], tail_lines)

    def get_host_uptime(self) -> str:
        """A simulated host is up as long as its driver (its worker) has been."""
        return uptime_line(time.monotonic() - self._started)

    def get_diagnostics(self, instance_uuid: str) -> Diagnostics:
        """No real guest: no CPU time or I/O, so zeros for each vCPU and disk (root `vda` and the volumes)
        while running; uptime counts from the spawn."""
        with self._reader() as conn:
            row = conn.execute("SELECT power_state, vcpus, memory_mb, created_at FROM guests WHERE uuid = ?",
                               (instance_uuid,)).fetchone()
            devices = [r[0] for r in conn.execute(
                "SELECT device FROM volumes WHERE instance_uuid = ? ORDER BY device", (instance_uuid,))]
        if row is None:
            raise InstanceNotFound(instance_uuid)
        running = row[0] == S.RUNNING
        return Diagnostics(uuid=instance_uuid, power_state=PowerState(row[0]), driver=self.name,
                           memory_max_mb=row[2], cpu_time_ns=(0,) * row[1] if running else (),
                           disks=tuple(DiskDiagnostics(device=d) for d in ["vda", *devices] if d != "/dev/vda"),
                           uptime_s=int(time.time() - row[3]))

    def get_host_resources(self) -> HostResources:
        return HostResources(
            hostname=self.host, vcpus=self.vcpus, memory_mb=self.memory_mb, disk_gb=self.disk_gb,
            hypervisor_type="fake", hypervisor_version=1000,
            cpu_info={"arch": "x86_64", "model": "fake-cpu", "vendor": "fake", "topology": {"sockets": 1,
                      "cores": self.vcpus, "threads": 1}},
        )

    def attach_volume(self, instance_uuid: str, connection: VolumeConnection) -> None:
        self._delay("attach_volume")
        c = connection
        with self._transaction("attach_volume") as conn:
            self._power_state(conn, instance_uuid)
            rows = conn.execute("SELECT volume_id, device FROM volumes WHERE instance_uuid = ?",
                                (instance_uuid,)).fetchall()
            if any(vid == c.volume_id for vid, _ in rows):
                return
            if any(dev == c.device for _, dev in rows):
                raise VolumeAttachFailed(instance_uuid, c.volume_id, f"device {c.device} is in use")
            # The one check a real hypervisor makes that the fake can make too: the file must be there,
            # which also proves the MountManager mounted its export first.
            if not os.path.exists(c.path):
                raise VolumeAttachFailed(instance_uuid, c.volume_id, f"no such file {c.path}")
            conn.execute(
                "INSERT INTO volumes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (instance_uuid, c.volume_id, c.path, c.device, c.serial, int(c.read_only), c.disk_format),
            )
            conn.execute("UPDATE guests SET console = console || ? WHERE uuid = ?",
                         (f"virtio_blk: [{c.device[5:]}] attached serial {c.serial}\n", instance_uuid))
        LOG.info("fake host %s: attached volume %s to instance %s as %s", self.host, c.volume_id,
                 instance_uuid, c.device)

    def detach_volume(self, instance_uuid: str, volume_id: str) -> None:
        self._delay("detach_volume")
        with self._transaction("detach_volume") as conn:
            self._power_state(conn, instance_uuid)
            gone = conn.execute("DELETE FROM volumes WHERE instance_uuid = ? AND volume_id = ?",
                                (instance_uuid, volume_id)).rowcount
        LOG.info("fake host %s: detached volume %s from instance %s (was attached: %s)", self.host,
                 volume_id, instance_uuid, bool(gone))

    def list_volume_attachments(self, instance_uuid: str) -> list[VolumeConnection]:
        with self._reader() as conn:
            self._power_state(conn, instance_uuid)
            rows = conn.execute(
                "SELECT volume_id, path, device, serial, read_only, disk_format FROM volumes"
                " WHERE instance_uuid = ? ORDER BY device", (instance_uuid,)).fetchall()
        return [VolumeConnection(volume_id=v, path=p, device=d, serial=s, read_only=bool(ro), disk_format=f)
                for v, p, d, s, ro, f in rows]

    def open_console(self, instance_uuid: str) -> ConsoleStream:
        """An echo console: the guest's console log first (as a terminal shows it), then what is typed."""
        with self._reader() as conn:
            row = conn.execute("SELECT power_state, console FROM guests WHERE uuid = ?", (instance_uuid,)).fetchone()
        if row is None:
            raise InstanceNotFound(instance_uuid)
        if PowerState(row[0]) not in (S.RUNNING, S.PAUSED):
            raise InvalidPowerState(instance_uuid, "open_console", PowerState(row[0]))
        LOG.info("fake host %s: console of instance %s opened", self.host, instance_uuid)
        return EchoConsole(row[1].replace("\n", "\r\n").encode())
    # -- moves A: snapshot and rescue ---------------------------------------------------------------

    def snapshot(self, instance_uuid: str, target_path: str) -> None:
        """Writes a small file with qcow2's magic and the guest's identity; written to a temporary name and
        renamed, so a failure leaves nothing at `target_path`."""
        self._delay("snapshot")
        with self._reader() as conn:
            row = conn.execute("SELECT name, power_state FROM guests WHERE uuid = ?", (instance_uuid,)).fetchone()
        if row is None:
            raise InstanceNotFound(instance_uuid)
        tmp = f"{target_path}.part"
        with open(tmp, "wb") as out:
            out.write(FAKE_QCOW2_MAGIC + f"fake snapshot of {instance_uuid} ({row[0]}) on {self.host}\n".encode())
        os.replace(tmp, target_path)
        LOG.info("fake host %s: snapshot of instance %s written to %s", self.host, instance_uuid, target_path)

    def rescue(self, instance_uuid: str, rescue_image: ImageRef | None) -> None:
        self._delay("rescue")
        with self._transaction("rescue") as conn:
            self._power_state(conn, instance_uuid)
            if conn.execute("SELECT 1 FROM rescues WHERE instance_uuid = ?", (instance_uuid,)).fetchone():
                return
            conn.execute("INSERT INTO rescues VALUES (?, ?)", (instance_uuid, rescue_image.id if rescue_image else ""))
            conn.execute("UPDATE guests SET power_state = ?, console = console || ? WHERE uuid = ?",
                         (int(S.RUNNING), "fake: rescue boot; login:\n", instance_uuid))
        LOG.info("fake host %s: instance %s rescued", self.host, instance_uuid)

    def unrescue(self, instance_uuid: str) -> None:
        self._delay("unrescue")
        with self._transaction("unrescue") as conn:
            self._power_state(conn, instance_uuid)
            if not conn.execute("DELETE FROM rescues WHERE instance_uuid = ?", (instance_uuid,)).rowcount:
                return
            conn.execute("UPDATE guests SET power_state = ?, console = console || ? WHERE uuid = ?",
                         (int(S.RUNNING), "fake: unrescued; login:\n", instance_uuid))
        LOG.info("fake host %s: instance %s unrescued", self.host, instance_uuid)

    def is_rescued(self, instance_uuid: str) -> bool:
        with self._reader() as conn:
            self._power_state(conn, instance_uuid)
            return conn.execute("SELECT 1 FROM rescues WHERE instance_uuid = ?", (instance_uuid,)).fetchone() is not None

    # -- test hooks (not part of the contract) ------------------------------------------------------

    def _injected_fault(self, conn: sqlite3.Connection, instance_uuid: str, operation: str) -> None:
        row = conn.execute("SELECT message FROM faults WHERE instance_uuid = ? AND operation = ?",
                           (instance_uuid, operation)).fetchone()
        if row is not None:
            raise DriverError(row[0], instance_uuid)

    def inject_fault(self, instance_uuid: str, operation: str, message: str = "injected fault") -> None:
        """Make `operation` (only get_info reads faults) raise DriverError for this guest, as a transient
        hypervisor error would, until clear_fault. Persisted, so the host's worker sees it too."""
        if operation not in FAULTABLE:
            raise ValueError(f"cannot inject a fault into {operation!r}; known: {sorted(FAULTABLE)}")
        with self._transaction("inject_fault") as conn:
            conn.execute("INSERT OR REPLACE INTO faults VALUES (?, ?, ?)", (instance_uuid, operation, message))

    def clear_fault(self, instance_uuid: str, operation: str) -> None:
        with self._transaction("clear_fault") as conn:
            conn.execute("DELETE FROM faults WHERE instance_uuid = ? AND operation = ?", (instance_uuid, operation))

    def force_power_state(self, instance_uuid: str, power_state: PowerState, *, reason: str = "") -> None:
        """Change a guest's state behind the driver's back, as a guest crashing or shutting itself
        down would, so power-state sync and recovery can be tested. Raises InstanceNotFound."""
        power_state = PowerState(power_state)
        line = f"fake: now {power_state.name}" + (f": {reason}" if reason else "")
        self._transition(instance_uuid, "force_power_state", allowed=None, target=power_state,
                         line=line, noop_if_target=False)

    # --- microversions: trigger_crash_dump (compute API 2.17) ---
    def trigger_crash_dump(self, instance_uuid: str) -> None:
        """The guest's kernel logs the NMI on its console, as Linux does for an unclaimed one."""
        self._delay("trigger_crash_dump")
        with self._transaction("trigger_crash_dump") as conn:
            state = self._power_state(conn, instance_uuid)
            if state not in (PowerState.RUNNING, PowerState.PAUSED):
                raise InvalidPowerState(instance_uuid, "trigger_crash_dump", state)
            conn.execute("UPDATE guests SET console = console || ? WHERE uuid = ?",
                         ("Uhhuh. NMI received for unknown reason 3d on CPU 0.\n", instance_uuid))
        LOG.info("fake host %s: NMI injected into instance %s", self.host, instance_uuid)
