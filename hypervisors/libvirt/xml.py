"""Domain and disk XML, built with ElementTree from plain values (never by pasting strings together).

Every value that may come from a user (names, paths, serials) goes in as element text or an attribute
value, which ElementTree escapes, so no input can add or change an element. Parsing the other way
(disks of a domain, our metadata) lives here too, so the XML vocabulary is in one file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from hypervisors.base import VifSpec, VolumeConnection

# Our metadata element: which host and image a domain belongs to. list_instances only reports domains
# carrying it for this host, so two hosts on one libvirtd (make run) never see, or reap, each other's.
METADATA_NS = "https://compute-platform.local/xmlns/libvirt/instance/1.0"
METADATA_PREFIX = "cp"
DEFAULT_CMDLINE = "console=ttyS0"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
# libvirt user aliases: "ua-" then letters, digits, '_' or '-'; we carry the volume id in them.
_ALIAS_PREFIX = "ua-"
_SAFE_ALIAS = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class DomainConfig:
    """Plain values of one domain; `domain_xml` turns them into libvirt's XML."""

    uuid: str
    name: str
    host: str
    vcpus: int
    memory_mb: int
    virt_type: str
    root_disk: str
    root_format: str
    console_log: str
    image_id: str = ""
    kernel: str | None = None
    initrd: str | None = None
    cmdline: str = DEFAULT_CMDLINE
    interfaces: tuple[VifSpec, ...] = ()
    config_drive: str | None = None  # path of the config-2 ISO, attached as a cdrom
    boot_volume: VolumeConnection | None = None  # boot from volume: the root disk is this volume's file
    volumes: tuple[VolumeConnection, ...] = ()  # defined with the guest (a move's destination), after vda


def domain_name(name: str, uuid: str) -> str:
    """The instance's name if libvirt accepts it as is, else one derived from the uuid."""
    return name if _SAFE_NAME.match(name or "") else f"instance-{uuid}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def metadata_element(host: str, image_id: str) -> ET.Element:
    root = ET.Element(f"{{{METADATA_NS}}}instance")
    _sub(root, f"{{{METADATA_NS}}}host", host)
    _sub(root, f"{{{METADATA_NS}}}image", image_id)
    return root


def metadata_xml(host: str, image_id: str) -> str:
    """The metadata element alone, as `virDomainSetMetadata` and `metadata()` exchange it."""
    ET.register_namespace(METADATA_PREFIX, METADATA_NS)
    return ET.tostring(metadata_element(host, image_id), encoding="unicode")


def metadata_host(xml: str) -> str | None:
    """The host named in our metadata element (as returned by `dom.metadata()`), None if absent."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None
    host = root.find(f"{{{METADATA_NS}}}host")
    if host is None:  # libvirt may hand the element back without its namespace prefix
        host = root.find("host")
    return host.text if host is not None else None


def domain_xml(cfg: DomainConfig) -> str:
    """The persistent definition of a guest: virtio root disk, a pty serial console logged to a file.

    `<features><acpi/><apic/></features>` because PCI hot-plug of volumes needs ACPI, and ACPI is also
    how a soft power-off reaches the guest. Machine `pc` (i440fx): its PCI bus hot-plugs without the
    extra root ports q35 would need.
    """
    ET.register_namespace(METADATA_PREFIX, METADATA_NS)
    dom = ET.Element("domain", type=cfg.virt_type)
    _sub(dom, "name", cfg.name)
    _sub(dom, "uuid", cfg.uuid)
    _sub(dom, "metadata").append(metadata_element(cfg.host, cfg.image_id))
    _sub(dom, "memory", str(cfg.memory_mb), unit="MiB")
    _sub(dom, "vcpu", str(cfg.vcpus))
    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch="x86_64", machine="pc")
    if cfg.kernel:
        _sub(os_el, "kernel", cfg.kernel)
        if cfg.initrd:
            _sub(os_el, "initrd", cfg.initrd)
        _sub(os_el, "cmdline", cfg.cmdline)
    elif cfg.boot_volume is None:  # a volume's disk carries its own boot order (libvirt refuses both)
        _sub(os_el, "boot", dev="hd")
    features = _sub(dom, "features")
    _sub(features, "acpi")
    _sub(features, "apic")
    if cfg.virt_type == "kvm":
        _sub(dom, "cpu", mode="host-model")
    _sub(dom, "clock", offset="utc")
    _sub(dom, "on_poweroff", "destroy")
    _sub(dom, "on_reboot", "restart")
    _sub(dom, "on_crash", "destroy")
    devices = _sub(dom, "devices")
    if cfg.boot_volume is not None:
        devices.append(volume_disk_element(cfg.boot_volume, boot_order=1))
    else:
        disk = _sub(devices, "disk", type="file", device="disk")
        _sub(disk, "driver", name="qemu", type=cfg.root_format)
        _sub(disk, "source", file=cfg.root_disk)
        _sub(disk, "target", dev="vda", bus="virtio")
    for volume in cfg.volumes:
        devices.append(ET.fromstring(volume_disk_xml(volume)))
    if cfg.config_drive:
        cdrom = _sub(devices, "disk", type="file", device="cdrom")
        _sub(cdrom, "driver", name="qemu", type="raw")
        _sub(cdrom, "source", file=cfg.config_drive)
        _sub(cdrom, "target", dev="hdd", bus="ide")  # Nova's place for it on a `pc` machine
        _sub(cdrom, "readonly")
    for vif in cfg.interfaces:
        devices.append(interface_element(vif))
    # A pty, so a console can be opened interactively (openConsole), with virtlogd copying everything
    # the guest prints to the log that os-getConsoleOutput reads; append: a restart (hard reboot, power
    # on) adds to the log instead of wiping the earlier boots.
    serial = _sub(devices, "serial", type="pty")
    _sub(serial, "log", file=cfg.console_log, append="on")
    _sub(serial, "target", port="0")
    console = _sub(devices, "console", type="pty")
    _sub(console, "target", type="serial", port="0")
    _sub(devices, "memballoon", model="none")
    return ET.tostring(dom, encoding="unicode")


# -- volumes ---------------------------------------------------------------------------------------


def volume_alias(volume_id: str) -> str | None:
    return _ALIAS_PREFIX + volume_id if _SAFE_ALIAS.match(volume_id) else None


def volume_disk_xml(conn: VolumeConnection) -> str:
    """A file disk on the virtio bus, as `connection.device`, with the volume's serial; the volume id
    rides in the user alias so `list_volume_attachments` can give it back whole (a serial is cut at 20)."""
    return ET.tostring(volume_disk_element(conn), encoding="unicode")


def volume_disk_element(conn: VolumeConnection, *, boot_order: int | None = None) -> ET.Element:
    disk = ET.Element("disk", type="file", device="disk")
    _sub(disk, "driver", name="qemu", type=conn.disk_format)
    _sub(disk, "source", file=conn.path)
    _sub(disk, "target", dev=conn.device.removeprefix("/dev/"), bus="virtio")
    _sub(disk, "serial", conn.serial)
    if conn.read_only:
        _sub(disk, "readonly")
    alias = volume_alias(conn.volume_id)
    if alias:
        _sub(disk, "alias", name=alias)
    if boot_order is not None:
        _sub(disk, "boot", order=str(boot_order))
    return disk


@dataclass(frozen=True)
class DiskInfo:
    """One `<disk>` of a domain's XML; `xml` is the element as libvirt wrote it (for detach)."""

    target: str
    source: str | None
    serial: str | None
    alias: str | None
    disk_format: str
    read_only: bool
    xml: str

    @property
    def volume_id(self) -> str | None:
        """The volume this disk is, or None for a disk that is no volume (the root disk has no serial)."""
        if not self.serial:
            return None
        if self.alias and self.alias.startswith(_ALIAS_PREFIX):
            return self.alias[len(_ALIAS_PREFIX):]
        return self.serial

    def connection(self) -> VolumeConnection:
        return VolumeConnection(volume_id=self.volume_id, path=self.source or "", device=f"/dev/{self.target}",
                                serial=self.serial or "", read_only=self.read_only,
                                disk_format=self.disk_format)


def disks(domain_xml_text: str) -> list[DiskInfo]:
    """Every `<disk device='disk'>` of a domain's XML, in document order."""
    root = ET.fromstring(domain_xml_text)
    out = []
    for disk in root.iterfind("./devices/disk"):
        if disk.get("device", "disk") != "disk":
            continue
        target, source, driver = disk.find("target"), disk.find("source"), disk.find("driver")
        alias, serial = disk.find("alias"), disk.find("serial")
        out.append(DiskInfo(
            target=target.get("dev") if target is not None else "",
            source=source.get("file") if source is not None else None,
            serial=serial.text if serial is not None else None,
            alias=alias.get("name") if alias is not None else None,
            disk_format=(driver.get("type") if driver is not None else None) or "raw",
            read_only=disk.find("readonly") is not None,
            xml=ET.tostring(disk, encoding="unicode"),
        ))
    return out


def volume_disks(domain_xml_text: str) -> list[DiskInfo]:
    """The disks that are volumes (they carry a serial), sorted by target device."""
    return sorted((d for d in disks(domain_xml_text) if d.volume_id), key=lambda d: d.target)


# -- network interfaces ----------------------------------------------------------------------------

_PORT_ALIAS_PREFIX = "ua-port-"


def interface_element(vif: VifSpec) -> ET.Element:
    """A virtio NIC on the network's bridge, with the port's MAC and tap name (libvirt makes the tap and
    plugs it into the bridge when the guest starts); the port id rides in the user alias."""
    iface = ET.Element("interface", type="bridge")
    _sub(iface, "mac", address=vif.mac)
    _sub(iface, "source", bridge=vif.bridge)
    _sub(iface, "target", dev=vif.tap)
    _sub(iface, "model", type="virtio")
    _sub(iface, "mtu", size=str(vif.mtu))
    if _SAFE_ALIAS.match(vif.port_id):
        _sub(iface, "alias", name=_PORT_ALIAS_PREFIX + vif.port_id)
    return iface


def interface_xml(vif: VifSpec) -> str:
    return ET.tostring(interface_element(vif), encoding="unicode")


@dataclass(frozen=True)
class InterfaceInfo:
    """One `<interface>` of a domain's XML; `xml` as libvirt wrote it (for detach)."""

    mac: str
    bridge: str | None
    port_id: str | None  # None for a NIC we did not plug
    xml: str


def interfaces(domain_xml_text: str) -> list[InterfaceInfo]:
    """Every `<interface>` of a domain's XML, in document order."""
    out = []
    for iface in ET.fromstring(domain_xml_text).iterfind("./devices/interface"):
        mac, source, alias = iface.find("mac"), iface.find("source"), iface.find("alias")
        name = alias.get("name", "") if alias is not None else ""
        out.append(InterfaceInfo(
            mac=(mac.get("address") or "").lower() if mac is not None else "",
            bridge=source.get("bridge") if source is not None else None,
            port_id=name[len(_PORT_ALIAS_PREFIX):] if name.startswith(_PORT_ALIAS_PREFIX) else None,
            xml=ET.tostring(iface, encoding="unicode")))
    return out


def with_interface(domain_xml_text: str, vif: VifSpec | None = None, *, without_mac: str | None = None) -> str:
    """The domain's XML with `vif`'s NIC added, or the NIC with MAC `without_mac` removed (for a hypervisor
    that cannot plug devices, libvirt's test driver: the definition is changed instead)."""
    ET.register_namespace(METADATA_PREFIX, METADATA_NS)
    root = ET.fromstring(domain_xml_text)
    devices = root.find("./devices")
    if without_mac:
        for iface in devices.findall("interface"):
            mac = iface.find("mac")
            if mac is not None and (mac.get("address") or "").lower() == without_mac.lower():
                devices.remove(iface)
    if vif is not None:
        devices.append(interface_element(vif))
    return ET.tostring(root, encoding="unicode")
# -- rescue (moves A) --------------------------------------------------------------------------------


def rescue_domain_xml(original: str, *, rescue_disk: str, kernel: str | None = None,
                      initrd: str | None = None) -> str:
    """The rescue definition of a domain, from its own (inactive) XML: the rescue disk as vda, the guest's
    own root disk as vdb, no volumes (Nova's legacy rescue), and the rescue image's kernel when it has
    one. Everything else (name, uuid, metadata, console) stays, so the domain is still ours."""
    ET.register_namespace(METADATA_PREFIX, METADATA_NS)
    dom = ET.fromstring(original)
    devices = dom.find("devices")
    own_root = None
    for disk in list(devices.iterfind("disk")):
        target = disk.find("target")
        if disk.find("serial") is not None:
            devices.remove(disk)  # a volume
        elif target is not None and target.get("dev") == "vda":
            own_root = disk
    if own_root is None:
        raise ValueError("the domain has no vda root disk to rescue")
    rescued_root = ET.fromstring(ET.tostring(own_root))
    rescued_root.find("target").set("dev", "vdb")
    for el in rescued_root.findall("address"):  # libvirt gives the second disk a PCI slot of its own
        rescued_root.remove(el)
    own_root.find("source").set("file", rescue_disk)
    own_root.find("driver").set("type", "qcow2")
    devices.insert(list(devices).index(own_root) + 1, rescued_root)
    if kernel:
        os_el = dom.find("os")
        cmdline = os_el.findtext("cmdline") or DEFAULT_CMDLINE
        for tag in ("kernel", "initrd", "cmdline", "boot"):
            for el in os_el.findall(tag):
                os_el.remove(el)
        _sub(os_el, "kernel", kernel)
        if initrd:
            _sub(os_el, "initrd", initrd)
        _sub(os_el, "cmdline", cmdline)
    return ET.tostring(dom, encoding="unicode")


def root_disk_source(domain_xml_text: str) -> str | None:
    """The file behind vda (the rescue disk while rescued)."""
    return next((d.source for d in disks(domain_xml_text) if d.target == "vda"), None)
# -- live migration ----------------------------------------------------------------------------------


def migrated_xml(domain_xml_text: str, *, host: str, paths: dict[str, str], volume_paths: dict[str, str]) -> str:
    """The domain's XML as the destination runs it: our metadata naming `host`, every file under a directory
    of `paths` (old prefix -> new prefix) moved there, and each volume's disk on its path on the destination
    (`volume_paths`: volume id -> path). A volume missing from `volume_paths` raises ValueError."""
    ET.register_namespace(METADATA_PREFIX, METADATA_NS)
    dom = ET.fromstring(domain_xml_text)
    meta_host = dom.find(f"./metadata/{{{METADATA_NS}}}instance/{{{METADATA_NS}}}host")
    if meta_host is None:
        raise ValueError("the domain carries no metadata of ours")
    meta_host.text = host

    def moved(path: str | None) -> str | None:
        for old, new in paths.items():
            if path and path.startswith(old.rstrip("/") + "/"):
                return new.rstrip("/") + path[len(old.rstrip("/")):]
        return path

    for el in dom.iterfind("./os/kernel"), dom.iterfind("./os/initrd"):
        for e in el:
            e.text = moved(e.text)
    for log in dom.iterfind("./devices/serial/log"):
        log.set("file", moved(log.get("file")))
    for disk in dom.iterfind("./devices/disk"):
        source = disk.find("source")
        if source is None or source.get("file") is None:
            continue
        info = disks(f"<domain><devices>{ET.tostring(disk, encoding='unicode')}</devices></domain>")
        volume_id = info[0].volume_id if info else None
        if volume_id is not None:
            if volume_id not in volume_paths:
                raise ValueError(f"no destination path for volume {volume_id}")
            source.set("file", volume_paths[volume_id])
        else:
            source.set("file", moved(source.get("file")))
    return ET.tostring(dom, encoding="unicode")


def boot_files(domain_xml_text: str) -> list[str]:
    """The kernel and initrd files a domain boots (none for a disk boot)."""
    os_el = ET.fromstring(domain_xml_text).find("os")
    return [el.text for tag in ("kernel", "initrd") for el in os_el.iterfind(tag) if el.text] if os_el is not None else []
