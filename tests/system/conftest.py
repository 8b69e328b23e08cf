"""System tier fixtures: a real libvirtd, the tiny guest, a libvirt driver and a libvirt-backed stack.

Reusable by any system test:
- `libvirtd` (session): virtlogd + libvirtd running in this process's mount namespace (started here
  if needed, so bind mounts made by tests reach QEMU); stopped at the end if we started them.
- `guest_image` (session): kernel, initramfs and a small qcow2 (devtools.guest_image), cached in .run/.
- `system_dir` (session): a scratch directory QEMU (user libvirt-qemu) can reach; pytest's tmp_path is
  mode 0700 under /tmp/pytest-of-root, which QEMU cannot enter.
- `qemu_driver` (session): a LibvirtDriver on qemu:///system, TCG; guests left over are destroyed.
- `libvirt_stack` (session): PostgreSQL + Redis (from make test) + API + one libvirt compute worker,
  with the guest's kernel, ramdisk and disk uploaded through the image API (`libvirt_stack.image_id`
  boots it). See tests/system/helpers.py for its helpers (boot, domain, console...).
"""
from __future__ import annotations

import os
import shutil
import uuid as uuidlib

import pytest

from devtools.guest_image import build as build_guest_image
from devtools.libvirt_service import LibvirtService
from devtools.services import RUN_DIR

from .helpers import LIBVIRT_URI, LibvirtStack, start_libvirt_stack

pytestmark = pytest.mark.system


# Host names the system tier gives its libvirt hosts (helpers.start_libvirt_stack, qemu_driver below).
TEST_HOST_PREFIXES = ("qemu-", "system-")


def reap_test_guests(uri: str) -> list[str]:
    """Destroy and undefine guests a killed earlier run left on this libvirtd (only our test hosts').

    Domain names are Nova's `instance-<id in hex>`; every test stack's database counts ids from 1, so a
    leftover `instance-00000001` would make the next run's first boot fail to define."""
    import libvirt

    from hypervisors.libvirt import xml as domxml

    reaped = []
    conn = libvirt.open(uri)
    try:
        for dom in conn.listAllDomains():
            try:
                host = domxml.metadata_host(dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, domxml.METADATA_NS, 0))
            except libvirt.libvirtError:
                continue  # not one of ours
            if host and host.startswith(TEST_HOST_PREFIXES):
                if dom.isActive():
                    dom.destroy()
                dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
                reaped.append(f"{dom.name()} ({host})")
    finally:
        conn.close()
    return reaped


@pytest.fixture(scope="session")
def libvirtd():
    service = LibvirtService(LIBVIRT_URI).start()
    reaped = reap_test_guests(LIBVIRT_URI)
    if reaped:
        print(f"system tier: removed guests left by an earlier run: {', '.join(reaped)}")
    yield service
    service.stop()


@pytest.fixture(scope="session")
def guest_image():
    return build_guest_image()


@pytest.fixture(scope="session")
def system_dir():
    path = RUN_DIR / "system-tests" / str(os.getpid())
    path.mkdir(parents=True, exist_ok=True)
    for p in (RUN_DIR, path.parent, path):
        os.chmod(p, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def qemu_driver(libvirtd, system_dir):
    from hypervisors.libvirt.driver import LibvirtDriver

    driver = LibvirtDriver(host=f"system-{uuidlib.uuid4().hex[:6]}", uri=LIBVIRT_URI, virt_type="qemu",
                           instances_dir=str(system_dir / "driver-instances"), shutdown_timeout=10.0)
    driver.init_host()
    yield driver
    for uuid in driver.list_instances():
        driver.destroy(uuid)
    driver.close()


@pytest.fixture(scope="session")
def libvirt_stack(libvirtd, guest_image, system_dir, tmp_path_factory, pg_url, redis_url,
                  template_db) -> LibvirtStack:
    stack = start_libvirt_stack(
        database_url=pg_url, redis_url=redis_url,
        workdir=system_dir / "stack", template_dir=tmp_path_factory.mktemp("template"), guest=guest_image,
        template=template_db)  # the run's (tests/conftest.py): the integration tier's, already migrated
    yield stack
    stack.stop()
