"""A libvirt host's guest NICs: the data plane (hypervisors/netplane) for the host side, the domain's
`<interface>` elements for the guest side, and the config drive. The driver's VIF methods delegate here.

On libvirt's test driver (no real network, no device hot-plug) the ports are only recorded and the
interfaces written into the domain's definition, so the conformance suite runs there too.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable, Mapping

import libvirt

from hypervisors import configdrive
from hypervisors.base import DriverError, InstanceSpec, VifSpec
from hypervisors.netplane import DataPlane, NetplaneError, nat
from hypervisors.netplane.groups import GroupStore, referenced
from hypervisors.netplane.metadata import MetadataConfig
from hypervisors.netplane.ports import PortStore, check_vif

from . import xml as domxml
from .guest import Guest

LOG = logging.getLogger(__name__)
CONFIG_DRIVE = "disk.config"  # Nova's file name, in the instance directory


class GuestNetwork:
    def __init__(self, state_dir: str | os.PathLike, *, real: bool, detach_timeout: float,
                 metadata: MetadataConfig | None = None) -> None:
        self.plane = DataPlane(state_dir, metadata=metadata) if real else None
        self.ports = self.plane.ports if self.plane else PortStore(state_dir)
        self.floating = self.plane.floating if self.plane else nat.FloatingStore(Path(state_dir))
        self.groups = self.plane.groups if self.plane else GroupStore(state_dir)
        self.detach_timeout = detach_timeout

    # -- host side ---------------------------------------------------------------------------------

    def host_plug(self, instance_uuid: str, vif: VifSpec) -> None:
        try:
            if self.plane is not None:
                self.plane.port_plug(instance_uuid, vif)
            else:
                self.ports.put(instance_uuid, check_vif(vif))
        except NetplaneError as exc:
            raise DriverError(f"plugging port {vif.port_id} of instance {instance_uuid} failed: {exc}",
                              instance_uuid) from exc

    def host_unplug(self, port_id: str, instance_uuid: str) -> None:
        try:
            if self.plane is not None:
                self.plane.port_unplug(port_id)
            else:
                self.ports.delete(port_id)
                self.groups.prune(referenced(self.ports.all()))
        except NetplaneError as exc:
            raise DriverError(f"unplugging port {port_id} of instance {instance_uuid} failed: {exc}",
                              instance_uuid) from exc

    def host_unplug_instance(self, instance_uuid: str) -> list[str]:
        ports = [r.vif.port_id for r in self.ports.all() if r.instance_uuid == instance_uuid]
        for port_id in ports:
            self.host_unplug(port_id, instance_uuid)
        return ports

    def rules_refresh(self, vifs_by_instance: Mapping[str, Iterable[VifSpec]]) -> list[str]:
        try:
            if self.plane is not None:
                return self.plane.ports_rules_refresh(vifs_by_instance)
            done = [v.port_id for uuid, vifs in vifs_by_instance.items() for v in vifs
                    if self.ports.rules_replace(uuid, v)]
            self.groups.prune(referenced(self.ports.all()))
            return done
        except NetplaneError as exc:
            raise DriverError(f"refreshing security group rules failed: {exc}") from exc

    def members_apply(self, members) -> list[str]:
        try:
            if self.plane is not None:
                return self.plane.group_members_apply(members)
            return sorted(self.groups.update(members, referenced(self.ports.all())))  # the test driver: recorded
        except NetplaneError as exc:
            raise DriverError(f"applying security group members failed: {exc}") from exc

    def members(self, group_id: str) -> tuple[str, ...] | None:
        if group_id not in referenced(self.ports.all()):
            return None
        return self.groups.all().get(group_id, ())

    def floating_apply(self, fips) -> None:
        try:
            if self.plane is not None:
                self.plane.floating_ips_apply(fips)
            else:  # libvirt's test driver: recorded only
                self.floating.put(sorted((nat.check_fip(f) for f in fips), key=lambda f: f.floating_ip))
        except NetplaneError as exc:
            raise DriverError(f"applying floating IPs failed: {exc}") from exc

    def reconcile(self, vifs_by_instance: Mapping[str, Iterable[VifSpec]], group_members=None) -> dict:
        if self.plane is not None:
            try:
                return self.plane.reconcile(vifs_by_instance, group_members).as_dict()
            except NetplaneError as exc:
                raise DriverError(f"reconciling the network data plane failed: {exc}") from exc
        wanted = {v.port_id: (uuid, v) for uuid, vifs in vifs_by_instance.items() for v in vifs}
        stale = [r.vif.port_id for r in self.ports.all() if r.vif.port_id not in wanted]
        for port_id in stale:
            self.ports.delete(port_id)
        for uuid, vif in wanted.values():
            self.ports.put(uuid, check_vif(vif))
        keep = referenced(self.ports.all())
        self.groups.update({g: (group_members or {}).get(g, ()) for g in keep}, keep)
        return {"ports": len(wanted), "stale_ports": stale}

    # -- guest side --------------------------------------------------------------------------------

    @staticmethod
    def config_drive(spec: InstanceSpec, instance_dir: Path) -> str:
        return str(configdrive.build(spec, instance_dir / CONFIG_DRIVE))

    def attach(self, guest: Guest, vif: VifSpec, conn: libvirt.virConnect) -> None:
        """The guest has the NIC in its definition, and live if it runs; already there: nothing to do."""
        def present(inactive: bool) -> bool:
            return any(i.mac == vif.mac.lower() for i in domxml.interfaces(guest.xml(inactive=inactive)))

        active = guest.is_active()
        in_config, in_live = present(True), active and present(False)
        if in_config and (in_live or not active or self.plane is None):  # (the test driver has no live side)
            return
        if self.plane is None:  # libvirt's test driver plugs nothing (and runs no guest): its definition does
            conn.defineXML(domxml.with_interface(guest.xml(inactive=True), vif))
        else:
            flags = libvirt.VIR_DOMAIN_AFFECT_CONFIG if not active else (
                libvirt.VIR_DOMAIN_AFFECT_LIVE if in_config else
                libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG)
            guest.domain.attachDeviceFlags(domxml.interface_xml(vif), flags)
        LOG.info("instance %s: NIC %s (port %s) on %s added (live: %s)", guest.uuid, vif.mac, vif.port_id,
                 vif.bridge, active)

    def detach(self, guest: Guest, port_id: str, wait) -> str | None:
        """Afterwards no NIC of the guest is port `port_id`, live or defined; the MAC it had, if any."""
        def find(inactive: bool):
            if not inactive and not guest.is_active():
                return None
            rec = self.ports.get(port_id)
            for iface in domxml.interfaces(guest.xml(inactive=inactive)):
                if iface.port_id == port_id or (rec is not None and iface.mac == rec.vif.mac):
                    return iface
            return None

        mac = None
        live = find(False) if self.plane is not None else None  # libvirt's test driver has no live side
        if live is not None:
            mac = live.mac
            guest.domain.detachDeviceFlags(live.xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            if not wait(lambda: find(False) is None, self.detach_timeout):
                raise DriverError(f"instance {guest.uuid} did not release port {port_id} within "
                                  f"{self.detach_timeout:.0f} s", guest.uuid)
        defined = find(True)
        if defined is not None:
            mac = defined.mac
            if self.plane is None:  # the test driver detaches nothing: its definition is rewritten
                guest.domain.connect().defineXML(domxml.with_interface(guest.xml(inactive=True), without_mac=mac))
            else:
                guest.domain.detachDeviceFlags(defined.xml, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        return mac

    def listed(self, guest: Guest) -> list[VifSpec]:
        """The guest's NICs that are ports, in its definition's order, as plugged."""
        out = []
        for iface in domxml.interfaces(guest.xml(inactive=True)):
            if iface.port_id is None:
                continue
            rec = self.ports.get(iface.port_id)
            if rec is not None:
                out.append(rec.vif)
            else:  # the record was lost: what the definition says (the bridge name holds the network id[:11])
                out.append(VifSpec(port_id=iface.port_id, mac=iface.mac,
                                   network_id=(iface.bridge or "brq?").removeprefix("brq")))
        return out

