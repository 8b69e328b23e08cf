"""Domain and disk XML of the libvirt driver: built from values, never by pasting strings (pure, no libvirt)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from hypervisors.base import VolumeConnection
from hypervisors.libvirt import xml as domxml

UUID = "0b6c3f5e-6f7a-4e0a-9a3b-2f1d6c1e9a10"


def config(**overrides) -> domxml.DomainConfig:
    values = dict(uuid=UUID, name="instance-0000002a", host="node1", vcpus=2, memory_mb=256, virt_type="qemu",
                  root_disk="/srv/instances/x/disk", root_format="qcow2", console_log="/srv/instances/x/console.log",
                  image_id="img")
    return domxml.DomainConfig(**(values | overrides))


def test_domain_has_acpi_apic_virtio_root_and_a_logged_serial_console():
    root = ET.fromstring(domxml.domain_xml(config()))
    assert root.get("type") == "qemu" and root.findtext("uuid") == UUID
    assert root.find("features/acpi") is not None and root.find("features/apic") is not None
    disk = root.find("devices/disk")
    assert disk.find("target").attrib == {"dev": "vda", "bus": "virtio"}
    assert disk.find("driver").get("type") == "qcow2"
    serial = root.find("devices/serial")
    # a pty (interactive consoles) whose output virtlogd appends to console.log (os-getConsoleOutput)
    assert serial.get("type") == "pty" and serial.find("log").get("file").endswith("console.log")
    assert serial.find("log").get("append") == "on" and root.find("devices/console").get("type") == "pty"
    assert root.find("memory").text == "256" and root.find("memory").get("unit") == "MiB"
    assert root.find("os/kernel") is None and root.find("os/boot").get("dev") == "hd"
    assert root.find("cpu") is None  # TCG: QEMU's default CPU model


def test_kernel_boot_and_kvm_cpu():
    root = ET.fromstring(domxml.domain_xml(config(kernel="/k", initrd="/r", virt_type="kvm")))
    assert (root.findtext("os/kernel"), root.findtext("os/initrd"), root.findtext("os/cmdline")) == (
        "/k", "/r", "console=ttyS0")
    assert root.find("cpu").get("mode") == "host-model"


def test_boot_volume_is_the_root_disk_with_boot_order_one_and_listed_as_a_volume():
    vol = VolumeConnection(volume_id="5f0e8a52-1d4c-4a41-9a0e-0c6b7d1f2a3b", path="/mnt/abc/volume-5f0e",
                           device="/dev/vda")
    text = domxml.domain_xml(config(boot_volume=vol))
    root = ET.fromstring(text)
    (disk,) = root.findall("devices/disk")
    assert disk.find("source").get("file") == vol.path and disk.find("target").get("dev") == "vda"
    assert disk.find("driver").get("type") == "raw" and disk.find("boot").get("order") == "1"
    assert root.find("os/boot") is None  # libvirt refuses <os><boot> beside a per-device boot order
    # the MountManager rebuild and re-asserts see it as the volume it is
    assert [d.connection().volume_id for d in domxml.volume_disks(text)] == [vol.volume_id]


def test_hostile_values_stay_values():
    evil = "x</name><devices><disk type='file'><source file='/etc/shadow'/></disk></devices><name>"
    text = domxml.domain_xml(config(name=evil, root_disk="/srv/a'b\"<c>&d"))
    root = ET.fromstring(text)
    assert root.findtext("name") == evil
    assert len(root.findall("devices/disk")) == 1
    assert root.find("devices/disk/source").get("file") == "/srv/a'b\"<c>&d"


@pytest.mark.parametrize("name, expected", [("instance-0000002a", "instance-0000002a"), ("a/b", f"instance-{UUID}"),
                                            ("", f"instance-{UUID}"), ("x" * 65, f"instance-{UUID}")])
def test_domain_name_falls_back_to_the_uuid(name, expected):
    assert domxml.domain_name(name, UUID) == expected


def test_metadata_names_the_host():
    assert domxml.metadata_host(domxml.metadata_xml("node7", "img")) == "node7"
    meta = ET.fromstring(domxml.domain_xml(config())).find("metadata")[0]
    assert domxml.metadata_host(ET.tostring(meta, encoding="unicode")) == "node1"
    assert domxml.metadata_host("<not xml") is None


def test_volume_disk_round_trips_through_the_domain_xml():
    vol = VolumeConnection(volume_id="5d7e-volume-with-a-long-id-0001", path="/mnt/x/volume-1", device="/dev/vdb",
                           read_only=True)
    disk = domxml.volume_disk_xml(vol)
    el = ET.fromstring(disk)
    assert el.find("target").attrib == {"dev": "vdb", "bus": "virtio"}
    assert el.findtext("serial") == vol.serial == vol.volume_id[:20]
    assert el.find("alias").get("name") == "ua-" + vol.volume_id and el.find("readonly") is not None
    domain = domxml.domain_xml(config()).replace("</devices>", disk + "</devices>")
    (found,) = domxml.volume_disks(domain)  # the root disk has no serial: not a volume
    assert found.connection() == vol


def test_rescue_xml_puts_the_rescue_disk_first_the_own_root_second_and_drops_volumes():
    import xml.etree.ElementTree as ET

    from hypervisors.base import VolumeConnection
    from hypervisors.libvirt import xml as domxml

    cfg = domxml.DomainConfig(uuid="11111111-2222-3333-4444-555555555555", name="vm", host="h", vcpus=1,
                              memory_mb=128, virt_type="qemu", root_disk="/i/disk", root_format="qcow2",
                              console_log="/i/console.log", kernel="/k", initrd="/r", cmdline="console=ttyS0 quiet")
    dom = ET.fromstring(domxml.domain_xml(cfg))
    devices = dom.find("devices")
    devices.find("disk").append(ET.Element("address", type="pci", slot="0x02"))  # as libvirt's inactive XML has
    devices.append(ET.fromstring(domxml.volume_disk_xml(VolumeConnection(volume_id="v1", path="/m/v1",
                                                                         device="/dev/vdb"))))
    rescue = domxml.rescue_domain_xml(ET.tostring(dom, encoding="unicode"), rescue_disk="/i/disk.rescue",
                                      kernel="/rk", initrd="/rr")
    disks = domxml.disks(rescue)
    assert [(d.target, d.source, d.volume_id) for d in disks] == [("vda", "/i/disk.rescue", None),
                                                                  ("vdb", "/i/disk", None)]
    assert "<address" not in disks[1].xml
    assert domxml.root_disk_source(rescue) == "/i/disk.rescue"
    os_el = ET.fromstring(rescue).find("os")
    assert (os_el.findtext("kernel"), os_el.findtext("initrd"), os_el.findtext("cmdline")) == (
        "/rk", "/rr", "console=ttyS0 quiet")
    assert domxml.metadata_host(ET.tostring(ET.fromstring(rescue).find("metadata")[0], encoding="unicode")) == "h"


def test_a_moved_domain_names_the_new_host_its_paths_and_its_volumes_on_the_destination():
    vol = VolumeConnection(volume_id="vol-1", path="/mnt/src/export/volume-1", device="/dev/vdb")
    text = domxml.domain_xml(config(kernel="/srv/a/_base/kernel-1", initrd="/srv/a/_base/ramdisk-1",
                                    root_disk="/srv/a/x/disk", console_log="/srv/a/x/console.log", volumes=(vol,)))
    assert [d.volume_id for d in domxml.disks(text)] == [None, "vol-1"]  # defined with the guest, after vda
    moved = domxml.migrated_xml(text, host="node2", paths={"/srv/a/x": "/srv/b/x", "/srv/a/_base": "/srv/b/_base"},
                                volume_paths={"vol-1": "/mnt/dst/export/volume-1"})
    root = ET.fromstring(moved)
    assert domxml.metadata_host(ET.tostring(root.find(f"metadata/{{{domxml.METADATA_NS}}}instance"),
                                            encoding="unicode")) == "node2"
    assert [d.source for d in domxml.disks(moved)] == ["/srv/b/x/disk", "/mnt/dst/export/volume-1"]
    assert domxml.boot_files(moved) == ["/srv/b/_base/kernel-1", "/srv/b/_base/ramdisk-1"]
    assert root.find("devices/serial/log").get("file") == "/srv/b/x/console.log"
    with pytest.raises(ValueError, match="vol-1"):
        domxml.migrated_xml(text, host="node2", paths={}, volume_paths={})
