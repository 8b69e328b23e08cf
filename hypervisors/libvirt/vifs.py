"""Guest NICs in the domain XML: virtio `<interface type='bridge'>` on the network's bridge, with the port's
MAC and tap name, tagged with a user alias (`ua-port-<port id>`) so the port can be found again. The
bridge itself (and DHCP, firewall) is the data plane's (hypervisors/netplane)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from hypervisors.base import VifSpec

ALIAS_PREFIX = "ua-port-"


def interface_element(vif: VifSpec) -> ET.Element:
    iface = ET.Element("interface", type="bridge")
    ET.SubElement(iface, "mac", address=vif.mac)
    ET.SubElement(iface, "source", bridge=vif.bridge)
    ET.SubElement(iface, "target", dev=vif.tap)
    ET.SubElement(iface, "model", type="virtio")
    ET.SubElement(iface, "mtu", size=str(vif.mtu))
    ET.SubElement(iface, "alias", name=ALIAS_PREFIX + vif.port_id)
    return iface


def interface_xml(vif: VifSpec) -> str:
    return ET.tostring(interface_element(vif), encoding="unicode")


def with_interfaces(domain_xml: str, vifs) -> str:
    """The domain XML with a NIC per VIF appended to its devices, in order."""
    dom = ET.fromstring(domain_xml)
    devices = dom.find("devices")
    for vif in vifs:
        devices.append(interface_element(vif))
    return ET.tostring(dom, encoding="unicode")


def without_interface(domain_xml: str, port_id: str) -> str:
    dom = ET.fromstring(domain_xml)
    devices = dom.find("devices")
    for iface in devices.findall("interface"):
        alias = iface.find("alias")
        if alias is not None and alias.get("name") == ALIAS_PREFIX + port_id:
            devices.remove(iface)
    return ET.tostring(dom, encoding="unicode")


def port_ids(domain_xml: str) -> list[str]:
    """The port ids of the domain's NICs, in order (NICs without our alias are not ports of ours)."""
    out = []
    for iface in ET.fromstring(domain_xml).findall("devices/interface"):
        alias = iface.find("alias")
        name = alias.get("name", "") if alias is not None else ""
        if name.startswith(ALIAS_PREFIX):
            out.append(name[len(ALIAS_PREFIX):])
    return out


def interface_of(domain_xml: str, port_id: str) -> str | None:
    for iface in ET.fromstring(domain_xml).findall("devices/interface"):
        alias = iface.find("alias")
        if alias is not None and alias.get("name") == ALIAS_PREFIX + port_id:
            return ET.tostring(iface, encoding="unicode")
    return None
