"""Snapshot, rescue and shelve with real QEMU (TCG): the snapshot is a standalone qcow2 a new guest boots
from; a rescued guest boots the rescue image and sees its own disk second; a shelved server leaves libvirt
and comes back booted from its snapshot."""
from __future__ import annotations

import json
import subprocess
import uuid as uuidlib

import pytest

from hypervisors.base import ImageRef, InstanceSpec

from .helpers import GUEST_TIMEOUT
from .test_driver_qemu import wait_for

pytestmark = pytest.mark.system


def _guest_ref(guest_image, path=None) -> ImageRef:
    return ImageRef(id=f"img-{uuidlib.uuid4().hex[:8]}", path=str(path or guest_image.disk), disk_format="qcow2",
                    kernel_path=str(guest_image.kernel), ramdisk_path=str(guest_image.initramfs))


def _spawn(driver, guest_image, image: ImageRef, name: str) -> str:
    spec = InstanceSpec(uuid=str(uuidlib.uuid4()), name=name, vcpus=1, memory_mb=128, root_gb=1, image=image)
    driver.spawn(spec)
    wait_for(lambda: guest_image.marker in driver.get_console_output(spec.uuid), GUEST_TIMEOUT, f"{name} to boot")
    return spec.uuid


def test_snapshot_of_a_running_guest_boots_another_and_rescue_shows_its_disk_second(qemu_driver, guest_image,
                                                                                      system_dir):
    d = qemu_driver
    uuid = _spawn(d, guest_image, _guest_ref(guest_image), "moves-a-src")
    snap = system_dir / f"snap-{uuid}.qcow2"
    d.snapshot(uuid, str(snap))
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(snap)], check=True,
                                     capture_output=True, text=True).stdout)
    assert info["format"] == "qcow2" and "backing-filename" not in info  # standalone
    assert d.get_info(uuid).power_state == 1  # paused for the copy, running again
    snap.chmod(0o644)
    copy = _spawn(d, guest_image, _guest_ref(guest_image, snap), "moves-a-copy")
    d.destroy(copy)

    seen = len(d.get_console_output(uuid))
    d.rescue(uuid, _guest_ref(guest_image))
    assert d.is_rescued(uuid)
    out = wait_for(lambda: (lambda o: o if guest_image.marker in o and "marker-block: vdb" in o else None)(
        d.get_console_output(uuid)[seen:]), GUEST_TIMEOUT, "the rescue boot with the own disk as vdb")
    assert "marker-block: vda" in out
    seen = len(d.get_console_output(uuid))
    d.unrescue(uuid)
    assert not d.is_rescued(uuid) and not d.disks.rescue_disk_path(uuid).exists()
    out = wait_for(lambda: (lambda o: o if guest_image.marker in o else None)(d.get_console_output(uuid)[seen:]),
                   GUEST_TIMEOUT, "the guest's own boot again")
    assert "marker-block: vdb" not in out
    d.destroy(uuid)
    snap.unlink()


def test_shelve_and_unshelve_through_the_api(libvirt_stack):
    ls = libvirt_stack
    sid = ls.boot("moves-a-shelf")["id"]
    ls.wait_console(sid, ls.guest.marker)
    r = ls.stack.action(sid, {"shelve": None})
    assert r.status_code == 202, r.text
    ls.stack.wait_status(sid, "SHELVED_OFFLOADED", timeout=120)
    assert ls.domain(sid) is None and not ls.instance_dir(sid).exists()
    shelved = ls.stack.get("/image/v2/images", params={"name": "moves-a-shelf-shelved"}).json()["images"]
    assert [(i["status"], i["disk_format"]) for i in shelved] == [("active", "qcow2")]
    assert shelved[0]["kernel_id"] == ls.kernel_id  # the snapshot boots as the server did

    assert ls.stack.action(sid, {"unshelve": None}).status_code == 202
    ls.stack.wait_status(sid, "ACTIVE", timeout=GUEST_TIMEOUT)
    ls.wait_console(sid, ls.guest.marker)
    assert ls.stack.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
    ls.stack.wait_gone(sid, timeout=60)
