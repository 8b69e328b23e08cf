"""Resize and cold migration with real QEMU (TCG) between two libvirt hosts of one machine, through the REST
API: two compute workers on the same libvirtd, each with its own instances directory (INSTANCES_DIR names the
host). The guest's disk is copied to the destination, it boots there at the new size with its volume plugged
(the export mounted on the destination by the MountManager before), and the source's disk and mount go only
when the move is confirmed; a revert boots it again on the source from the disk it left there.
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest

from .helpers import NANO

pytestmark = pytest.mark.system
BIGGER = {"id": "4343", "name": "nano-2cpu", "vcpus": 2, "ram": 192, "disk": 1}
MOVE_TIMEOUT = 150.0  # a clean power-off the busybox guest ignores (the stack's 15 s), a disk copy, a boot


@pytest.fixture(scope="module")
def two_hosts(libvirt_stack, system_dir):
    ls = libvirt_stack
    host2 = ls.add_host()
    share = system_dir / "exports" / "moves"
    export = ls.bind_export("moves", share)
    r = ls.stack.post("/compute/v2.1/flavors", json={"flavor": BIGGER})
    assert r.status_code == 200, r.text
    yield ls, host2, r.json()["flavor"]["id"], share
    ls.retire_export(export)
    ls.retire_host(host2)


def _domain(ls, sid: str) -> ET.Element:
    return ET.fromstring(ls.domain(sid).XMLDesc(0))


def _size(ls, sid: str) -> tuple[int, int]:
    root = _domain(ls, sid)
    return int(root.findtext("vcpu")), int(root.findtext("memory")) // 1024  # KiB -> MiB


def _volume_source(ls, sid: str) -> str | None:
    return next((d.find("source").get("file") for d in _domain(ls, sid).iter("disk")
                 if d.find("target").get("dev") == "vdb"), None)


def _mounted(ls, host: str) -> bool:
    r = ls.stack.get(f"/api/v1/hosts/{host}/mounts")
    assert r.status_code == 200, r.text
    return any(m["mounted"] for m in r.json()["mounts"])


def _volume(ls, share) -> tuple[str, str]:
    token = ls.token()
    project_id = ls.stack.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": token}).json()[
        "token"]["project"]["id"]
    base = f"/volume/v3/{project_id}/volumes"
    r = ls.stack.post(base, json={"volume": {"size": 1, "name": "moves-vol"}})
    assert r.status_code == 202, r.text
    vid = r.json()["volume"]["id"]
    ls.stack.wait_until(lambda: ls.stack.get(f"{base}/{vid}").json()["volume"]["status"] == "available",
                        timeout=60, what=f"volume {vid} available")
    return base, vid


def _move(ls, sid: str, body: dict) -> dict:
    r = ls.stack.action(sid, body)
    assert r.status_code == 202, r.text
    return ls.stack.wait_status(sid, "VERIFY_RESIZE", timeout=MOVE_TIMEOUT)


def test_resize_revert_then_cold_migration_confirm_with_a_volume(two_hosts):
    ls, host2, bigger, share = two_hosts
    base, vid = _volume(ls, share)
    sid = ls.boot("moves-resize")["id"]
    try:
        src = ls.stack.server(sid)["OS-EXT-SRV-ATTR:host"]
        dst = ({ls.host, host2} - {src}).pop()
        ls.wait_console(sid, ls.guest.marker)
        r = ls.stack.post(f"/compute/v2.1/servers/{sid}/os-volume_attachments",
                          json={"volumeAttachment": {"volumeId": vid}})
        assert r.status_code == 200, r.text
        ls.wait_console(sid, "marker-block: vdb")
        assert _size(ls, sid) == (1, 128) and _mounted(ls, src)

        # resize: to the other host (ALLOW_RESIZE_TO_SAME_HOST is off), booted there at the new size
        s = _move(ls, sid, {"resize": {"flavorRef": bigger}})
        assert s["OS-EXT-SRV-ATTR:host"] == dst and s["OS-EXT-STS:power_state"] == 1
        assert ls.domain(sid).isActive() and _size(ls, sid) == (2, 192)
        assert (ls.instance_dir(sid, dst) / "disk").is_file()
        assert (ls.instance_dir(sid, src) / "disk").is_file(), "the source keeps its disk for a revert"
        assert _mounted(ls, dst) and _mounted(ls, src)
        assert os.path.isfile(_volume_source(ls, sid))
        out = ls.wait_console(sid, "marker-block: vdb")  # booted on the destination, it sees its volume
        assert ls.guest.marker in out

        # revert: booted again on the source at the old size, from the disk it left there
        r = ls.stack.action(sid, {"revertResize": None})
        assert r.status_code == 202, r.text
        s = ls.stack.wait_status(sid, "ACTIVE", timeout=MOVE_TIMEOUT)
        assert (s["OS-EXT-SRV-ATTR:host"], s["flavor"]["id"]) == (src, NANO)
        assert ls.domain(sid).isActive() and _size(ls, sid) == (1, 128)
        assert os.path.isfile(_volume_source(ls, sid))
        ls.stack.wait_until(lambda: not ls.instance_dir(sid, dst).exists() and not _mounted(ls, dst), timeout=30,
                            what="the reverted destination's disk and mount gone")
        ls.wait_console(sid, "marker-block: vdb")

        # cold migration, confirmed: the source's disk and mount go once the guest runs on the destination
        s = _move(ls, sid, {"migrate": None})
        assert s["OS-EXT-SRV-ATTR:host"] == dst and _size(ls, sid) == (1, 128)
        r = ls.stack.action(sid, {"confirmResize": None})
        assert r.status_code == 204, r.text
        s = ls.stack.wait_status(sid, "ACTIVE", timeout=60)
        assert s["OS-EXT-SRV-ATTR:host"] == dst and ls.domain(sid).isActive()
        ls.stack.wait_until(lambda: not ls.instance_dir(sid, src).exists() and not _mounted(ls, src), timeout=30,
                            what="the source's disk and mount gone after the confirm")
        assert _mounted(ls, dst) and os.path.isfile(_volume_source(ls, sid))
    finally:
        assert ls.stack.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
        ls.stack.wait_gone(sid, timeout=60)
        ls.stack.delete(f"{base}/{vid}")
