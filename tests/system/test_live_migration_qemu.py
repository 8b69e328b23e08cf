"""Live migration of a real QEMU (TCG) guest between two libvirtd on one machine (devtools/libvirt_peer.py
starts the second in a mount namespace of its own), at driver level: the guest keeps running (one boot on its
console, which continues on the destination), its volume goes with it, the source keeps nothing; a paused guest
arrives paused, and a repeated call changes nothing."""
from __future__ import annotations

import uuid as uuidlib

import pytest

from devtools.libvirt_peer import LibvirtPeer
from hypervisors.base import ImageRef, InstanceSpec, PowerState, VolumeConnection

from .helpers import GUEST_TIMEOUT, LIBVIRT_URI
from .test_driver_qemu import wait_for

pytestmark = pytest.mark.system
S = PowerState


@pytest.fixture(scope="module")
def two_daemons(libvirtd, system_dir):
    from hypervisors.libvirt.driver import LibvirtDriver

    peer = LibvirtPeer(system_dir / "libvirt-peer").start()
    per_host = str(system_dir / "lm-instances" / "{host}")
    suffix = uuidlib.uuid4().hex[:6]
    a = LibvirtDriver(host=f"system-a{suffix}", uri=LIBVIRT_URI, instances_dir=per_host, live_migration_uri=peer.uri,
                      shutdown_timeout=5.0)
    b = LibvirtDriver(host=f"system-b{suffix}", uri=peer.uri, instances_dir=per_host, live_migration_uri=LIBVIRT_URI,
                      shutdown_timeout=5.0)
    yield a, b
    for driver in (a, b):
        for uuid in driver.list_instances():
            driver.destroy(uuid)
        driver.close()
    peer.stop()


def test_a_running_guest_moves_live_with_its_volume_and_back_paused(two_daemons, guest_image, system_dir):
    a, b = two_daemons
    assert a.capabilities["supports_live_migration"] and b.capabilities["supports_live_migration"]
    image = ImageRef(id=f"img-{uuidlib.uuid4().hex[:8]}", path=str(guest_image.disk), disk_format="qcow2",
                     kernel_path=str(guest_image.kernel), ramdisk_path=str(guest_image.initramfs))
    spec = InstanceSpec(uuid=str(uuidlib.uuid4()), name="live-mig", vcpus=1, memory_mb=128, root_gb=1, image=image)
    vol_path = system_dir / f"volume-{spec.uuid}"
    with open(vol_path, "wb") as f:
        f.truncate(1 << 20)
    vol_path.chmod(0o666)
    vol = VolumeConnection(volume_id=str(uuidlib.uuid4()), path=str(vol_path), device="/dev/vdb")
    a.spawn(spec)
    uuid = spec.uuid
    wait_for(lambda: guest_image.marker in a.get_console_output(uuid), GUEST_TIMEOUT, "the guest to boot")
    a.attach_volume(uuid, vol)
    wait_for(lambda: "marker-block: vdb" in a.get_console_output(uuid), GUEST_TIMEOUT, "the guest to see its volume")

    a.live_migrate(uuid, b.host, [vol], block_migration=False)
    assert uuid not in a.list_instances() and not a.disks.instance_dir(uuid).exists()
    assert b.get_info(uuid).power_state == S.RUNNING
    assert [v.path for v in b.list_volume_attachments(uuid)] == [vol.path]
    assert (b.disks.instance_dir(uuid) / "disk").is_file()
    out = b.get_console_output(uuid)
    assert out.count(guest_image.marker) == 1, "live: the guest did not boot again"
    a.live_migrate(uuid, b.host, [vol], block_migration=False)  # a repeat succeeds, changes nothing

    b.pause(uuid)
    b.live_migrate(uuid, a.host, [vol], block_migration=False)
    assert uuid not in b.list_instances() and a.get_info(uuid).power_state == S.PAUSED
    a.unpause(uuid)
    assert a.get_info(uuid).power_state == S.RUNNING
    assert a.get_console_output(uuid).count(guest_image.marker) == 1
    a.destroy(uuid)
    vol_path.unlink()
