"""FakeDriver's moves (hypervisors/fake.py): resize and cold migration hand the guest over, a live migration
copies it into the destination host's file (same state_dir), arriving before it leaves. A mixin: the
storage (`_transaction`, `_reader`, `_power_state`, `_delay`, `_transition`) is FakeDriver's."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time

from hypervisors.base import (InstanceNotFound, InstanceSpec, InvalidPowerState, LiveMigrationAborted, PowerState,
                              VolumeAttachFailed, VolumeConnection)

LOG = logging.getLogger("hypervisors.fake")
S = PowerState


class FakeMoves:
    # -- moves: a guest leaves this host's file and arrives in the destination's (same state_dir) -----------

    def _peer(self, dest_host: str) -> "FakeMoves":
        if dest_host == self.host:
            return self
        return type(self)(host=dest_host, state_dir=self.state_dir, vcpus=self.vcpus, memory_mb=self.memory_mb,
                          disk_gb=self.disk_gb)

    def migrate_disk_and_power_off(self, instance_uuid: str, dest_host: str) -> None:
        self._transition(instance_uuid, "migrate_disk_and_power_off", allowed=None, target=S.SHUTDOWN,
                         line=f"fake: powered off; disk handed to {dest_host}", noop_if_target=False)

    @staticmethod
    def _check_files(uuid: str, volumes: list[VolumeConnection]) -> None:
        # As attach_volume: the file must be there, which proves the export was mounted on this host first.
        for v in volumes:
            if not os.path.exists(v.path):
                raise VolumeAttachFailed(uuid, v.volume_id, f"no such file {v.path}")

    def _put_guest(self, conn: sqlite3.Connection, spec_uuid: str, name: str, power: PowerState, vcpus: int,
                   memory_mb: int, console: str, volumes: list[VolumeConnection]) -> None:
        """Define or redefine the guest with exactly these values and volumes (one transaction's part)."""
        conn.execute(
            "INSERT INTO guests (uuid, name, power_state, vcpus, memory_mb, console, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(uuid) DO UPDATE SET power_state = excluded.power_state,"
            " vcpus = excluded.vcpus, memory_mb = excluded.memory_mb, console = guests.console || ?",
            (spec_uuid, name, int(power), vcpus, memory_mb, console, time.time(), console))
        conn.execute("DELETE FROM volumes WHERE instance_uuid = ?", (spec_uuid,))
        for c in volumes:
            conn.execute("INSERT INTO volumes VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (spec_uuid, c.volume_id, c.path, c.device, c.serial, int(c.read_only), c.disk_format))

    def finish_migration(self, spec: InstanceSpec, volumes: list[VolumeConnection], *, power_on: bool) -> None:
        self._delay("finish_migration")
        self._check_files(spec.uuid, volumes)
        power = S.RUNNING if power_on else S.SHUTDOWN
        with self._transaction("finish_migration") as conn:
            self._put_guest(conn, spec.uuid, spec.name, power, spec.vcpus, spec.memory_mb,
                            f"fake: arrived on {self.host} ({spec.vcpus} vCPU, {spec.memory_mb} MB)\n", volumes)
        LOG.info("fake host %s: finished migration of instance %s", self.host, spec.uuid)

    def finish_revert_migration(self, spec: InstanceSpec, volumes: list[VolumeConnection], *,
                                power_on: bool) -> None:
        self._delay("finish_revert_migration")
        self._check_files(spec.uuid, volumes)
        power = S.RUNNING if power_on else S.SHUTDOWN
        with self._transaction("finish_revert_migration") as conn:
            self._power_state(conn, spec.uuid)  # the kept guest must still be here
            self._put_guest(conn, spec.uuid, spec.name, power, spec.vcpus, spec.memory_mb,
                            "fake: migration reverted\n", volumes)
        LOG.info("fake host %s: reverted migration of instance %s", self.host, spec.uuid)

    def live_migrate(self, instance_uuid: str, dest_host: str, volumes: list[VolumeConnection], *,
                     block_migration: bool) -> None:
        # The copy "takes" the live_migrate delay; live_migration_abort (another task thread of this worker, on
        # this same driver object) may end it, as libvirt's abortJob ends a running migration.
        abort = self._aborts.setdefault(instance_uuid, threading.Event())
        try:
            if abort.wait(self.delays.get("live_migrate", 0.0)):
                LOG.info("fake host %s: live migration of instance %s aborted", self.host, instance_uuid)
                raise LiveMigrationAborted(instance_uuid)
        finally:
            self._aborts.pop(instance_uuid, None)
        peer = self._peer(dest_host)
        with self._reader() as conn:
            row = conn.execute("SELECT name, power_state, vcpus, memory_mb, console FROM guests WHERE uuid = ?",
                               (instance_uuid,)).fetchone()
        if row is None:
            if instance_uuid in peer.list_instances():
                return  # already moved: a repeated call
            raise InstanceNotFound(instance_uuid)
        name, power, vcpus, memory_mb, console = row
        if PowerState(power) not in (S.RUNNING, S.PAUSED):
            raise InvalidPowerState(instance_uuid, "live_migrate", PowerState(power))
        self._check_files(instance_uuid, volumes)
        # Arrive first, then leave: a crash in between leaves the guest on both hosts (the one not owning it
        # reaps it at its next start), never on neither.
        kind = "block" if block_migration else "shared-storage"
        with peer._transaction("live_migrate") as pconn:
            pconn.execute("DELETE FROM guests WHERE uuid = ?", (instance_uuid,))
            peer._put_guest(pconn, instance_uuid, name, PowerState(power), vcpus, memory_mb,
                            console + f"fake: live-migrated from {self.host} ({kind})\n", volumes)
        with self._transaction("live_migrate") as conn:
            conn.execute("DELETE FROM guests WHERE uuid = ?", (instance_uuid,))
            self._groups_prune(conn)
        LOG.info("fake host %s: live-migrated instance %s to %s", self.host, instance_uuid, dest_host)

    def live_migration_abort(self, instance_uuid: str) -> None:
        abort = self._aborts.get(instance_uuid)
        if abort is not None:
            abort.set()
        LOG.info("fake host %s: abort of the live migration of instance %s asked (under way: %s)", self.host,
                 instance_uuid, abort is not None)
