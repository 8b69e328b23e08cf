"""Live migration on libvirt, mixed into LibvirtDriver: QEMU's own migration between two libvirtd, the
source's client connection driving both (virDomainMigrate3, as `virsh migrate --live` does).

The destination's libvirtd is found by `live_migration_uri` with the host named (`{host}`), Nova's
live_migration_uri. Storage is shared the way one machine shares it: the destination's instance directory
gets hard links to the source's files (disk, console log, config drive), so both QEMUs open the same inodes
under their own host's paths, and the domain is migrated with its paths rewritten there (libvirt calls this
unsafe without a cluster file system or cache=none: VIR_MIGRATE_UNSAFE says we know). After the switch-over
the source's names go; the files live on under the destination's. The root overlay's backing file stays the
source host's cached image (the same file system). Without a URI the driver does not claim live migration.

Not possible between two libvirtd of one machine: a guest with NICs. Both QEMUs would need the tap device
of the port (its name is the port's) at the same time; the call refuses such a guest before anything moves.
"""

from __future__ import annotations

import contextlib
import logging
import os

import libvirt

from hypervisors.base import (DriverError, InstanceNotFound, InvalidPowerState, LiveMigrationAborted, PowerState,
                              VolumeAttachFailed, VolumeConnection)

from . import xml as domxml
from .guest import is_not_found, translated
from .migration import HOST_PLACEHOLDER

LOG = logging.getLogger(__name__)
S = PowerState
FLAGS = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE
         | libvirt.VIR_MIGRATE_UNSAFE)


class LiveMigrationMixin:
    def _dest_uri(self, dest_host: str) -> str:
        if not self.live_migration_uri:
            raise NotImplementedError(f"host {self.host} has no live_migration_uri: no live migration")
        return self.live_migration_uri.replace(HOST_PLACEHOLDER, dest_host)

    def _arrived(self, dconn: libvirt.virConnect, uuid: str, dest_host: str) -> bool:
        try:
            dom = dconn.lookupByUUIDString(uuid)
            meta = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, domxml.METADATA_NS, 0)
        except libvirt.libvirtError as exc:
            if is_not_found(exc) or exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN_METADATA:
                return False
            raise
        return domxml.metadata_host(meta) == dest_host

    def live_migrate(self, instance_uuid: str, dest_host: str, volumes: list[VolumeConnection], *,
                     block_migration: bool) -> None:
        uri = self._dest_uri(dest_host)
        if dest_host == self.host:
            raise DriverError(f"live migration of instance {instance_uuid} to its own host {dest_host}", instance_uuid)
        try:
            dconn = libvirt.open(uri)
        except libvirt.libvirtError as exc:
            raise DriverError(f"cannot reach host {dest_host}'s libvirt at {uri}: {exc.get_error_message()}",
                              instance_uuid) from exc
        try:
            guest = self._find(instance_uuid)
            if guest is None:
                if self._arrived(dconn, instance_uuid, dest_host):
                    return  # a repeat: it has moved already
                raise InstanceNotFound(instance_uuid)
            self._live_migrate(guest, dconn, dest_host, volumes)
        finally:
            with contextlib.suppress(libvirt.libvirtError):
                dconn.close()

    def _live_migrate(self, guest, dconn: libvirt.virConnect, dest_host: str, volumes: list[VolumeConnection]) -> None:
        uuid = guest.uuid
        with translated(uuid, "live migration"):
            state = guest.power_state()
            if state not in (S.RUNNING, S.PAUSED):
                raise InvalidPowerState(uuid, "live_migrate", state)
            live_xml = guest.domain.XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE)
            config_xml = guest.domain.XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE | libvirt.VIR_DOMAIN_XML_INACTIVE)
        if domxml.interfaces(live_xml):
            raise DriverError(f"instance {uuid} has NICs: their tap devices cannot exist twice on one machine",
                              uuid)
        for v in volumes:  # the destination mounted their exports first
            if not os.path.exists(v.path):
                raise VolumeAttachFailed(uuid, v.volume_id, f"no such file {v.path} for host {dest_host}")
        dest = self._host_disks(dest_host)
        paths = {str(self.disks.instance_dir(uuid)): str(dest.instance_dir(uuid)),
                 str(self.disks.base_dir): str(dest.base_dir)}
        try:
            by_volume = {v.volume_id: v.path for v in volumes}
            dxml = domxml.migrated_xml(live_xml, host=dest_host, paths=paths, volume_paths=by_volume)
            persist = domxml.migrated_xml(config_xml, host=dest_host, paths=paths, volume_paths=by_volume)
        except ValueError as exc:
            raise DriverError(f"live migration of instance {uuid}: {exc}", uuid) from exc
        try:
            owners = self._share_files(uuid, dest, domxml.boot_files(live_xml))
            with translated(uuid, "live migration"):
                try:
                    guest.domain.migrate3(dconn, {libvirt.VIR_MIGRATE_PARAM_DEST_XML: dxml,
                                                  libvirt.VIR_MIGRATE_PARAM_PERSIST_XML: persist}, FLAGS)
                except libvirt.libvirtError as exc:
                    if exc.get_error_code() == libvirt.VIR_ERR_OPERATION_ABORTED:
                        raise LiveMigrationAborted(uuid) from exc
                    raise
        except BaseException:
            dest.remove(uuid)  # only the destination's names: the guest runs on here
            raise
        # The source's libvirtd, stopping its QEMU, gave the files back to their owner before the guest
        # started (root: QEMU may no longer open them; a paused guest opens its disk only when it resumes).
        # It does not do that on a file system it knows to be shared; ours it does not know.
        for path, (uid, gid) in owners.items():
            os.chown(path, uid, gid)
        self.disks.remove(uuid)  # the names here; the files live on under the destination's
        LOG.info("host %s: live-migrated instance %s to %s", self.host, uuid, dest_host)

    def _share_files(self, uuid: str, dest, boot_files: list[str]) -> dict[str, tuple[int, int]]:
        """The destination's instance directory with hard links to this host's files of the guest, and the
        boot files its XML names in its own image cache. Returns each linked file's owner now (as the running
        QEMU's libvirtd set it)."""
        src_dir, dest_dir = self.disks.instance_dir(uuid), dest.instance_dir(uuid)
        dest.remove(uuid)
        dest_dir.mkdir(mode=0o755, parents=True)
        owners = {}
        for entry in os.scandir(src_dir):
            if entry.is_file(follow_symlinks=False):
                os.link(entry.path, dest_dir / entry.name)
                st = entry.stat(follow_symlinks=False)
                owners[str(dest_dir / entry.name)] = (st.st_uid, st.st_gid)
        for path in boot_files:
            if os.path.dirname(path) == str(self.disks.base_dir):
                with contextlib.suppress(FileExistsError):
                    os.link(path, dest.base_dir / os.path.basename(path))
        return owners

    def live_migration_abort(self, instance_uuid: str) -> None:
        """virDomainAbortJob on the source (Nova's live_migration_abort): the running migrate3 returns
        "operation aborted" and live_migrate raises LiveMigrationAborted. No job under way: nothing happens."""
        guest = self._guest(instance_uuid)
        try:
            guest.domain.abortJob()
        except libvirt.libvirtError as exc:
            if exc.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:  # "no job is active on the domain"
                raise DriverError(f"abort of the live migration of instance {instance_uuid} failed: "
                                  f"{exc.get_error_message()}", instance_uuid) from exc
        LOG.info("host %s: abort of the live migration of instance %s asked", self.host, instance_uuid)
