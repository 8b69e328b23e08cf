"""Resize and cold migration on libvirt, mixed into LibvirtDriver (kept out of driver.py so the facade stays
small). Live migration is in live_migration.py.

Disks: each host has its own instances directory; INSTANCES_DIR may name the host (`.../{host}`), which is
how hosts on one machine (make run, the system tier) keep theirs apart and how the source finds the
destination's. The source powers the guest off and writes its root disk, backing image folded in, into the
destination's instance directory (Nova copies it with rsync/ssh to the same path on the other machine); its
own disk and domain stay for a revert until the confirm destroys them. A resize on the same host keeps the
disk in place and only redefines the domain.

Domains: the destination defines the guest from the spec at its new size with its volumes. Hosts sharing one
libvirtd (one machine) share one domain per uuid: the destination's define replaces the source's stopped
definition and the metadata names the new owner, so the source's list, and its confirm-time destroy, no longer
see it; the revert defines it again from the spec on the source, whose disk is still there.
"""

from __future__ import annotations

import logging
import os

import libvirt

from hypervisors.base import DriverError, InstanceNotFound, InstanceSpec, VolumeAttachFailed, VolumeConnection

from . import xml as domxml
from .disks import InstanceDisks
from .guest import Guest, is_not_found, translated

LOG = logging.getLogger(__name__)
HOST_PLACEHOLDER = "{host}"


class MigrationMixin:
    def _host_disks(self, host: str) -> InstanceDisks:
        """`host`'s instance disks on this machine (its INSTANCES_DIR with the host named)."""
        if host == self.host:
            return self.disks
        disks = InstanceDisks(self.instances_dir_template.replace(HOST_PLACEHOLDER, host))
        if disks.root == self.disks.root:
            raise DriverError(f"hosts {self.host} and {host} share the instances directory {disks.root}: "
                              f"name the host in INSTANCES_DIR ({HOST_PLACEHOLDER}) to move guests between them")
        return disks

    def migrate_disk_and_power_off(self, instance_uuid: str, dest_host: str) -> None:
        """Power the guest off (ACPI, then cut, as any power-off) and, for another host, copy its disk there.
        The guest stays defined here, stopped, for a revert."""
        self._guest(instance_uuid)
        self.power_off(instance_uuid)
        if dest_host != self.host:
            target = self.disks.copy_root_to(instance_uuid, self._host_disks(dest_host))
            LOG.info("host %s: instance %s powered off, disk copied to %s for host %s", self.host, instance_uuid,
                     target, dest_host)
        else:
            LOG.info("host %s: instance %s powered off for a resize on this host", self.host, instance_uuid)

    def finish_migration(self, spec: InstanceSpec, volumes: list[VolumeConnection], *, power_on: bool) -> None:
        """Define the guest here at `spec`'s size on the disk the source handed over (grown to root_gb), with
        exactly `volumes`, and start it if `power_on`."""
        if not self.disks.disk_path(spec.uuid).exists():
            raise DriverError(f"no disk of instance {spec.uuid} arrived in {self.disks.root}", spec.uuid)
        self._define_moved(spec, volumes, power_on=power_on, what="finish migration")

    def finish_revert_migration(self, spec: InstanceSpec, volumes: list[VolumeConnection], *,
                                power_on: bool) -> None:
        """The guest back here at its old size on the disk it left here, with `volumes`."""
        if not self.disks.disk_path(spec.uuid).exists():
            raise InstanceNotFound(spec.uuid)
        self._define_moved(spec, volumes, power_on=power_on, what="revert migration")

    def _define_moved(self, spec: InstanceSpec, volumes: list[VolumeConnection], *, power_on: bool,
                      what: str) -> None:
        uuid = spec.uuid
        guest = self._find(uuid)
        if guest is not None and self._is_as_moved(guest, spec, volumes, power_on):
            return  # a repeat
        for v in volumes:  # the caller mounted their exports here first: a missing file means it did not
            if not os.path.exists(v.path):
                raise VolumeAttachFailed(uuid, v.volume_id, f"no such file {v.path}")
        other = self._domain_of_another_host(uuid)
        if other is not None and other.isActive():
            raise DriverError(f"{what}: instance {uuid} still runs for another host of this libvirtd", uuid)
        with translated(uuid, what):
            if guest is not None:
                guest.hard_stop()
                guest.discard_saved_state()
            self.disks.grow_root(uuid, spec.root_gb)
            cfg = self._domain_config(spec, self.disks.disk_path(uuid), tuple(volumes))
            # Same uuid and name: replaces the stopped definition (this host's, or the source's on a shared
            # libvirtd) instead of adding a second one.
            guest = Guest(self._conn().defineXML(domxml.domain_xml(cfg)))
            if power_on:
                guest.start()
        LOG.info("host %s: %s of instance %s done (%d vCPU, %d MB, %d volumes, running: %s)", self.host, what, uuid,
                 spec.vcpus, spec.memory_mb, len(volumes), power_on)

    def _domain_of_another_host(self, uuid: str) -> libvirt.virDomain | None:
        try:
            dom = self._conn().lookupByUUIDString(uuid)
        except libvirt.libvirtError as exc:
            if is_not_found(exc):
                return None
            raise DriverError(f"looking up instance {uuid} failed: {exc.get_error_message()}", uuid) from exc
        return None if self._owned(dom) else dom

    @staticmethod
    def _is_as_moved(guest: Guest, spec: InstanceSpec, volumes: list[VolumeConnection], power_on: bool) -> bool:
        vcpus, memory_mb, _ = guest.info()
        attached = {d.volume_id for d in guest.volume_disks(inactive=True)}
        return ((vcpus, memory_mb) == (spec.vcpus, spec.memory_mb) and attached == {v.volume_id for v in volumes}
                and guest.is_active() == power_on)
