"""The driver conformance suite against libvirt's test driver (`test:///default`), plus what only the
libvirt driver promises: disks under the instances directory, a failed spawn leaves nothing, hosts
sharing one libvirtd see only their own guests, a lost connection is reopened.

`test:///default` keeps its state per process while any connection to it is open; each test's driver
has its own host name, so guests of one test can never show up in another even if that state lingers.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid as uuidlib

import libvirt
import pytest

from hypervisors import load_driver
from hypervisors.base import DriverError, ImageRef, InstanceSpec, PowerState
from hypervisors.libvirt.driver import LibvirtDriver
from tests.unit.drivers.conformance import DriverConformance

pytestmark = pytest.mark.integration
S = PowerState
URI = "test:///default"


@pytest.fixture(scope="module")
def base_image(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("images") / "base.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), "16M"], check=True)
    return str(path)


@pytest.fixture
def make_driver(tmp_path):
    drivers = []

    def make(host: str | None = None, **options) -> LibvirtDriver:
        options.setdefault("instances_dir", str(tmp_path / "instances"))
        driver = load_driver("libvirt", host=host or f"conf-{uuidlib.uuid4().hex[:8]}", uri=URI,
                             virt_type="test", **options)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


def spec(image_path: str, **overrides) -> InstanceSpec:
    uuid = overrides.pop("uuid", str(uuidlib.uuid4()))
    values = dict(uuid=uuid, name=f"conf-{uuid[:8]}", vcpus=1, memory_mb=128, root_gb=1,
                  image=ImageRef(id="base-image", path=image_path, disk_format="qcow2"))
    return InstanceSpec(**(values | overrides))


class TestLibvirtTestDriverConformance(DriverConformance):
    @pytest.fixture
    def driver(self, driver_and_peer):
        driver = driver_and_peer[0]
        driver.init_host()
        yield driver

    @pytest.fixture
    def spec_factory(self, base_image):
        return lambda **overrides: spec(base_image, **overrides)

    # Moves: a second host on the same libvirtd, each with its own instances directory (INSTANCES_DIR naming
    # the host), as two hosts on one machine run.
    @pytest.fixture
    def driver_and_peer(self, make_driver, tmp_path):
        per_host = str(tmp_path / "hosts" / "{host}")
        return make_driver(instances_dir=per_host), make_driver(instances_dir=per_host)

    @pytest.fixture
    def peer(self, driver_and_peer):
        return driver_and_peer[1]


@pytest.fixture
def driver(make_driver) -> LibvirtDriver:
    return make_driver()


def test_test_uri_disclaims_what_the_test_driver_cannot_do(driver):
    assert driver.capabilities["supports_volume_attach"] is False
    assert LibvirtDriver.capabilities["supports_volume_attach"] is True  # the class keeps its claim


def test_spawn_makes_an_overlay_on_the_cached_base(driver, base_image):
    first, second = spec(base_image), spec(base_image)
    driver.spawn(first)
    driver.spawn(second)
    disk = driver.disks.disk_path(first.uuid)
    info = subprocess.run(["qemu-img", "info", "--output=json", str(disk)], capture_output=True, text=True,
                          check=True).stdout
    assert '"backing-filename"' in info and str(driver.disks.base_dir / "base-image") in info
    assert sorted(p.name for p in driver.disks.base_dir.iterdir() if not p.name.startswith(".")) == ["base-image"]
    assert oct(driver.disks.base_dir.stat().st_mode & 0o777) == "0o755"
    driver.destroy(first.uuid)
    assert not driver.disks.instance_dir(first.uuid).exists()
    assert driver.disks.disk_path(second.uuid).exists()  # the shared base and other guests stay


def test_failed_spawn_leaves_no_domain_and_no_disk(driver, tmp_path, base_image):
    missing = spec(str(tmp_path / "no-such-image"))
    with pytest.raises(DriverError) as exc:
        driver.spawn(missing)
    assert exc.value.instance_uuid == missing.uuid
    assert driver.list_instances() == []
    assert not driver.disks.instance_dir(missing.uuid).exists()
    # a failure part way, after the root disk was made, is cleaned up too
    bad_kernel = spec(base_image, image=ImageRef(id="base-image", path=base_image, disk_format="qcow2",
                                                  kernel_path=str(tmp_path / "no-kernel")))
    with pytest.raises(DriverError):
        driver.spawn(bad_kernel)
    assert driver.list_instances() == [] and not driver.disks.instance_dir(bad_kernel.uuid).exists()
    driver.spawn(spec(base_image, uuid=missing.uuid))  # nothing left blocks a retry
    assert driver.get_info(missing.uuid).power_state == S.RUNNING


def test_qcow2_image_with_a_backing_file_is_refused(driver, tmp_path, base_image):
    sneaky = tmp_path / "sneaky.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base_image, str(sneaky)],
                   check=True)
    bad = spec(base_image, image=ImageRef(id="sneaky", path=str(sneaky), disk_format="qcow2"))
    with pytest.raises(DriverError, match="backing file"):
        driver.spawn(bad)
    assert driver.list_instances() == [] and not driver.disks.instance_dir(bad.uuid).exists()


def test_kernel_and_ramdisk_are_copied_into_the_cache(driver, tmp_path, base_image):
    kernel, ramdisk = tmp_path / "vmlinuz", tmp_path / "initrd"
    kernel.write_bytes(b"kernel")
    ramdisk.write_bytes(b"ramdisk")
    os.chmod(kernel, 0o600)  # the image store's modes do not matter: the cache copy is QEMU-readable
    s = spec(base_image, image=ImageRef(id="base-image", path=base_image, disk_format="qcow2",
                                        kernel_path=str(kernel), ramdisk_path=str(ramdisk)))
    driver.spawn(s)
    xml = driver._guest(s.uuid).xml(inactive=True)
    cached = {p.name: p for p in driver.disks.base_dir.iterdir() if p.name.startswith(("kernel-", "ramdisk-"))}
    assert len(cached) == 2 and all(oct(p.stat().st_mode & 0o777) == "0o644" for p in cached.values())
    for p in cached.values():
        assert f">{p}<" in xml
    assert "<cmdline>console=ttyS0</cmdline>" in xml


def test_blank_root_disk_when_the_image_has_no_data(driver):
    s = InstanceSpec(uuid=str(uuidlib.uuid4()), name="blank", vcpus=1, memory_mb=64, root_gb=2)
    driver.spawn(s)
    info = subprocess.run(["qemu-img", "info", "--output=json", str(driver.disks.disk_path(s.uuid))],
                          capture_output=True, text=True, check=True).stdout
    assert f'"virtual-size": {2 << 30}' in info


def test_hosts_sharing_a_libvirtd_see_only_their_own_guests(make_driver, base_image):
    a, b = make_driver("host-a"), make_driver("host-b")
    guest = spec(base_image)
    a.spawn(guest)
    assert guest.uuid in a.list_instances() and guest.uuid not in b.list_instances()
    b.destroy(guest.uuid)  # not b's: nothing happens
    assert a.get_info(guest.uuid).power_state == S.RUNNING
    with pytest.raises(Exception):
        b.get_info(guest.uuid)
    # the "test" domain libvirt's test driver ships with is nobody's
    assert "6695eb01-f6a4-8304-79aa-97f2502e193f" not in a.list_instances()


def test_a_lost_connection_is_reopened(driver, base_image):
    driver.init_host()
    before = driver._host.get_connection()
    before.close()  # as if libvirtd had gone away
    assert driver.list_instances() == []
    assert driver._host.get_connection() is not before


def test_lifecycle_events_reach_listeners(driver, base_image):
    seen = []
    driver._host.add_lifecycle_listener(lambda uuid, event, detail: seen.append((uuid, event)))
    s = spec(base_image)
    driver.spawn(s)
    driver.pause(s.uuid)
    deadline = time.monotonic() + 5  # events arrive on the loop thread, a moment later
    while (s.uuid, libvirt.VIR_DOMAIN_EVENT_SUSPENDED) not in seen and time.monotonic() < deadline:
        driver._host.wait_for_change(0.1)
    assert (s.uuid, libvirt.VIR_DOMAIN_EVENT_STARTED) in seen
    assert (s.uuid, libvirt.VIR_DOMAIN_EVENT_SUSPENDED) in seen
