"""The libvirt driver itself on real QEMU (TCG): a booted guest sees a volume hot-plugged and unplugged.

Driver level, no stack: the REST-level volume test builds on the same fixtures (conftest.py).
"""
from __future__ import annotations

import os
import time
import uuid as uuidlib

import libvirt
import pytest

from hypervisors.base import ImageRef, InstanceSpec, PowerState, VolumeConnection

from .helpers import GUEST_TIMEOUT

pytestmark = pytest.mark.system


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture(scope="module")
def running_guest(qemu_driver, guest_image):
    """A guest booted from the kernel + initramfs, its init up (the marker printed)."""
    spec = InstanceSpec(uuid=str(uuidlib.uuid4()), name="drv-guest", vcpus=1, memory_mb=128, root_gb=1,
                        image=ImageRef(id="guest-disk", path=str(guest_image.disk), disk_format="qcow2",
                                       kernel_path=str(guest_image.kernel), ramdisk_path=str(guest_image.initramfs)))
    qemu_driver.spawn(spec)
    wait_for(lambda: guest_image.marker in qemu_driver.get_console_output(spec.uuid), GUEST_TIMEOUT,
             "the guest's marker")
    yield spec.uuid
    qemu_driver.destroy(spec.uuid)
    assert spec.uuid not in qemu_driver.list_instances()
    assert not qemu_driver.disks.instance_dir(spec.uuid).exists()


def test_guest_boots_with_its_root_disk(qemu_driver, running_guest):
    info = qemu_driver.get_info(running_guest)
    assert (info.power_state, info.vcpus, info.memory_mb) == (PowerState.RUNNING, 1, 128)
    # The guest's init prints its marker, then each block device it sees: on busy cores vda comes a moment later.
    wait_for(lambda: "marker-block: vda" in qemu_driver.get_console_output(running_guest), GUEST_TIMEOUT,
             "the guest to list its root disk vda")


def test_hot_attach_shows_the_disk_in_the_guest_and_detach_removes_it(qemu_driver, running_guest, system_dir):
    volumes = system_dir / "volumes"
    volumes.mkdir(exist_ok=True)
    os.chmod(volumes, 0o755)
    path = volumes / f"volume-{uuidlib.uuid4()}"
    with open(path, "wb") as f:
        f.truncate(8 << 20)
    os.chmod(path, 0o666)
    vol = VolumeConnection(volume_id=str(uuidlib.uuid4()), path=str(path), device="/dev/vdb")
    seen = len(qemu_driver.get_console_output(running_guest))

    qemu_driver.attach_volume(running_guest, vol)
    qemu_driver.attach_volume(running_guest, vol)  # a repeat changes nothing
    listed = qemu_driver.list_volume_attachments(running_guest)
    assert [(v.volume_id, v.device, v.path, v.serial) for v in listed] == [
        (vol.volume_id, "/dev/vdb", str(path), vol.volume_id[:20])]
    live = qemu_driver._guest(running_guest).xml()
    assert f"<serial>{vol.volume_id[:20]}</serial>" in live and "dev='vdb'" in live
    wait_for(lambda: "marker-block: vdb" in qemu_driver.get_console_output(running_guest)[seen:], 30,
             "the guest to see vdb")

    seen = len(qemu_driver.get_console_output(running_guest))
    qemu_driver.detach_volume(running_guest, vol.volume_id)
    qemu_driver.detach_volume(running_guest, vol.volume_id)  # already gone succeeds
    assert qemu_driver.list_volume_attachments(running_guest) == []
    assert "dev='vdb'" not in qemu_driver._guest(running_guest).xml()
    wait_for(lambda: "marker-block-gone: vdb" in qemu_driver.get_console_output(running_guest)[seen:], 30,
             "the guest to lose vdb")
    assert path.exists()  # a volume's file is never the driver's to remove
    assert qemu_driver.get_info(running_guest).power_state == PowerState.RUNNING


def test_attach_to_a_stopped_guest_is_persistent_only(qemu_driver, guest_image, system_dir):
    spec = InstanceSpec(uuid=str(uuidlib.uuid4()), name="drv-stopped", vcpus=1, memory_mb=128, root_gb=1,
                        image=ImageRef(id="guest-disk", path=str(guest_image.disk), disk_format="qcow2"))
    qemu_driver.spawn(spec)  # no kernel: sits in the firmware, which is all this test needs
    try:
        qemu_driver.power_off(spec.uuid, timeout=0)
        path = system_dir / f"volume-{uuidlib.uuid4()}"
        path.write_bytes(b"\0" * (1 << 20))
        vol = VolumeConnection(volume_id=str(uuidlib.uuid4()), path=str(path), device="/dev/vdc")
        qemu_driver.attach_volume(spec.uuid, vol)
        assert [v.volume_id for v in qemu_driver.list_volume_attachments(spec.uuid)] == [vol.volume_id]
        qemu_driver.power_on(spec.uuid)  # the disk is there at the next start
        assert "dev='vdc'" in qemu_driver._guest(spec.uuid).xml()
    finally:
        qemu_driver.destroy(spec.uuid)
    assert not qemu_driver.disks.instance_dir(spec.uuid).exists()


def test_failed_spawn_on_qemu_leaves_nothing(qemu_driver, guest_image, tmp_path):
    # A kernel QEMU cannot load: libvirt defines the domain, the start fails, everything is removed.
    bogus = tmp_path / "not-a-kernel"
    bogus.write_bytes(b"this is no kernel")
    spec = InstanceSpec(uuid=str(uuidlib.uuid4()), name="drv-bogus", vcpus=1, memory_mb=128, root_gb=1,
                        image=ImageRef(id="guest-disk", path=str(guest_image.disk), disk_format="qcow2",
                                       kernel_path=str(bogus)))
    try:
        qemu_driver.spawn(spec)
    except Exception:
        pass
    else:  # QEMU may accept the file and fail later inside the guest; then it is a normal guest
        qemu_driver.destroy(spec.uuid)
        pytest.skip("QEMU started the bogus kernel; nothing to clean up")
    assert spec.uuid not in qemu_driver.list_instances()
    assert not qemu_driver.disks.instance_dir(spec.uuid).exists()
    conn = libvirt.open("qemu:///system")
    try:
        with pytest.raises(libvirt.libvirtError):
            conn.lookupByUUIDString(spec.uuid)
    finally:
        conn.close()


def _opened_by_a_process(path) -> bool:
    """Whether any process (QEMU) holds `path` open: /proc/*/fd, as fuser -m cannot tell on bind mounts."""
    for fd_dir in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            if any(os.readlink(f"/proc/{fd_dir}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{fd_dir}/fd")):
                return True
        except OSError:
            continue  # a process gone meanwhile, or not ours to read
    return False


def test_spawn_from_a_boot_volume_runs_qemu_on_the_volume_file(qemu_driver, system_dir):
    path = system_dir / f"volume-{uuidlib.uuid4()}"
    with open(path, "wb") as f:
        f.truncate(8 << 20)
    os.chmod(path, 0o666)
    vol = VolumeConnection(volume_id=str(uuidlib.uuid4()), path=str(path), device="/dev/vda")
    spec = InstanceSpec(uuid=str(uuidlib.uuid4()), name="drv-bfv", vcpus=1, memory_mb=128, root_gb=0,
                        boot_volume=vol)
    qemu_driver.spawn(spec)  # a blank volume: the firmware finds nothing to boot, which is all this test needs
    try:
        assert qemu_driver.get_info(spec.uuid).power_state == PowerState.RUNNING
        live = qemu_driver._guest(spec.uuid).xml()
        assert f"<source file='{path}'" in live and "<boot order='1'/>" in live
        assert not qemu_driver.disks.disk_path(spec.uuid).exists()  # no disk of its own
        assert [(v.volume_id, v.device) for v in qemu_driver.list_volume_attachments(spec.uuid)] == [
            (vol.volume_id, "/dev/vda")]
        wait_for(lambda: _opened_by_a_process(path), 10, "QEMU to open the boot volume")
    finally:
        qemu_driver.destroy(spec.uuid)
    assert path.exists()  # the volume outlives its guest
