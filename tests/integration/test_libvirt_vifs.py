"""The libvirt driver's NICs and config drive on libvirt's test driver: what goes into the domain's
definition (the real network is the data plane's, tested in test_netplane.py and the system tier)."""
from __future__ import annotations

import subprocess
import uuid as uuidlib

import pytest

from hypervisors import configdrive
from hypervisors.base import ImageRef, InstanceSpec, SecurityGroupRule, VifSpec
from hypervisors.libvirt import xml as domxml
from hypervisors.libvirt.driver import LibvirtDriver

pytestmark = pytest.mark.integration


@pytest.fixture
def driver(tmp_path):
    d = LibvirtDriver(host=f"vif-{uuidlib.uuid4().hex[:8]}", uri="test:///default", virt_type="test",
                      instances_dir=str(tmp_path / "instances"))
    yield d
    for uuid in d.list_instances():
        d.destroy(uuid)
    d.close()


def port(n: int, *rules: SecurityGroupRule) -> VifSpec:
    return VifSpec(port_id=str(uuidlib.uuid4()), mac=f"fa:16:3e:00:00:{n:02x}", network_id=str(uuidlib.uuid4()),
                   fixed_ips=(f"10.9.0.{n}",), cidr="10.9.0.0/24", gateway="10.9.0.1", mtu=1450,
                   security_group_rules=rules)


def test_nics_and_config_drive_are_in_the_definition_and_plug_unplug_change_it(driver, tmp_path):
    image = tmp_path / "base.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "16M"], check=True)
    first = port(5)
    spec = InstanceSpec(uuid=str(uuidlib.uuid4()), name="vifs", vcpus=1, memory_mb=64, root_gb=1,
                        image=ImageRef(id="img", path=str(image), disk_format="qcow2"), vifs=(first,),
                        config_drive=True, user_data="hello", key_data="ssh-ed25519 AAAA k")
    driver.spawn(spec)
    xml = driver._guest(spec.uuid).xml(inactive=True)
    [nic] = domxml.interfaces(xml)
    assert (nic.mac, nic.bridge, nic.port_id) == (first.mac, first.bridge, first.port_id)
    assert f"<target dev='{first.tap}'/>" in xml and "<model type='virtio'/>" in xml and "<mtu size='1450'/>" in xml
    drive = driver.disks.instance_dir(spec.uuid) / "disk.config"
    assert f"<source file='{drive}'/>" in xml and "device='cdrom'" in xml
    assert configdrive.read(drive)[0] == "config-2"
    assert driver.list_vifs(spec.uuid) == [first]

    second = port(6, SecurityGroupRule("ingress", protocol="tcp", port_range_min=22, port_range_max=22))
    driver.plug_vif(spec.uuid, second)
    driver.plug_vif(spec.uuid, second)  # a repeat changes nothing
    assert driver.list_vifs(spec.uuid) == [first, second]
    driver.unplug_vif(spec.uuid, first.port_id)
    driver.unplug_vif(spec.uuid, first.port_id)  # already gone succeeds
    assert driver.list_vifs(spec.uuid) == [second]
    assert [i.mac for i in domxml.interfaces(driver._guest(spec.uuid).xml(inactive=True))] == [second.mac]

    driver.destroy(spec.uuid)
    assert driver.network.ports.all() == [] and not drive.exists()
