"""Snapshot and rescue on libvirt (moves A), mixed into LibvirtDriver: the same connection, guests and
disks, kept out of driver.py so the facade stays small.

Snapshot: `qemu-img convert` of the root overlay into a standalone qcow2, with a running guest paused
for the copy (Nova's cold-snapshot path; its live blockRebase path needs a persistent-domain dance this
machine's QEMU gains nothing from). Rescue: the guest's own inactive XML is kept in its instance
directory, and a rescue definition (rescue disk vda, own root vdb) replaces it until unrescue puts the
kept one back.
"""

from __future__ import annotations

import contextlib
import logging
import os

import libvirt

from hypervisors.base import DriverError, ImageRef, PowerState

from . import xml as domxml
from .guest import translated

LOG = logging.getLogger(__name__)
S = PowerState


class SnapshotRescueMixin:
    def snapshot(self, instance_uuid: str, target_path: str) -> None:
        guest = self._guest(instance_uuid)
        paused = False
        with translated(instance_uuid, "snapshot"):
            if guest.power_state() == S.RUNNING:
                guest.domain.suspend()  # quiet the disk for the copy
                paused = True
            try:
                self.disks.export_qcow2(instance_uuid, target_path)
            finally:
                if paused:
                    guest.domain.resume()
        LOG.info("host %s: snapshot of instance %s written to %s", self.host, instance_uuid, target_path)

    def is_rescued(self, instance_uuid: str) -> bool:
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, "is_rescued"):
            return domxml.root_disk_source(guest.xml(inactive=True)) == str(self.disks.rescue_disk_path(instance_uuid))

    def rescue(self, instance_uuid: str, rescue_image: ImageRef | None) -> None:
        if self.is_rescued(instance_uuid):
            self._start_if_off(instance_uuid)
            return
        guest = self._guest(instance_uuid)
        kept = self.disks.unrescue_xml_path(instance_uuid)
        with translated(instance_uuid, "rescue"):
            original = guest.xml(inactive=True)
            tmp = f"{kept}.part"
            with open(tmp, "w") as out:
                out.write(original)
            os.replace(tmp, kept)
            guest.hard_stop()
            guest.discard_saved_state()
            try:
                disk = self.disks.create_root(instance_uuid, rescue_image, 1, rescue=True)
                kernel = initrd = None
                if rescue_image is not None and rescue_image.kernel_path:
                    kernel = self.disks.boot_file(rescue_image.kernel_path, "kernel", instance_uuid)
                    if rescue_image.ramdisk_path:
                        initrd = self.disks.boot_file(rescue_image.ramdisk_path, "ramdisk", instance_uuid)
                dom = self._conn().defineXML(domxml.rescue_domain_xml(original, rescue_disk=str(disk),
                                                                      kernel=kernel, initrd=initrd))
                dom.create()
            except BaseException:
                # The contract: a failed rescue leaves the guest as defined before (powered off).
                with contextlib.suppress(libvirt.libvirtError):
                    guest.hard_stop()
                    self._conn().defineXML(original)
                with contextlib.suppress(OSError):
                    os.unlink(self.disks.rescue_disk_path(instance_uuid))
                    os.unlink(kept)
                raise
        LOG.info("host %s: instance %s rescued (image %s)", self.host, instance_uuid,
                 rescue_image.id if rescue_image else None)

    def unrescue(self, instance_uuid: str) -> None:
        if not self.is_rescued(instance_uuid):
            return
        guest = self._guest(instance_uuid)
        kept = self.disks.unrescue_xml_path(instance_uuid)
        try:
            original = kept.read_text()
        except FileNotFoundError as exc:
            raise DriverError(f"instance {instance_uuid} is rescued but its own definition is missing ({kept})",
                              instance_uuid) from exc
        with translated(instance_uuid, "unrescue"):
            guest.hard_stop()
            self._conn().defineXML(original)
            self._guest(instance_uuid).start()
        for path in (self.disks.rescue_disk_path(instance_uuid), kept):
            with contextlib.suppress(OSError):
                os.unlink(path)
        LOG.info("host %s: instance %s unrescued", self.host, instance_uuid)

    def _start_if_off(self, instance_uuid: str) -> None:
        guest = self._guest(instance_uuid)
        with translated(instance_uuid, "rescue"):
            if not guest.is_active():
                guest.start()
