"""A volume hot-plugged into a running QEMU guest through the REST API, end to end: the Cinder API makes
the file on an export (a bind mount standing in for NFS), os-volume_attachments mounts the export on the
guest's host through the MountManager and plugs the file in; the guest's own kernel sees a new block
device (its init prints `marker-block: vdX` on the serial console); detach unplugs it, the guest sees it go,
and the export, needed by nobody, is unmounted.

The mount happens after the guest started, so it reaches QEMU only through mount propagation: the test
session's namespace is shared inside (devtools/in_mount_ns.sh) and libvirt's per-guest namespace follows it.
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest

from hypervisors.volumes import mountinfo

pytestmark = pytest.mark.system


def _disks(ls, server_id: str) -> dict[str, str]:
    """target dev -> source file of the domain's live disks, as libvirt reports them."""
    root = ET.fromstring(ls.domain(server_id).XMLDesc(0))
    return {d.find("target").get("dev"): (d.find("source").get("file") if d.find("source") is not None else "")
            for d in root.iter("disk")}


@pytest.fixture(scope="module")
def volume_env(libvirt_stack, system_dir):
    ls = libvirt_stack
    token = ls.token()
    project_id = ls.stack.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": token}).json()[
        "token"]["project"]["id"]
    share = system_dir / "exports" / "sys1"
    export = ls.bind_export("sys1", share)
    yield {"base": f"/volume/v3/{project_id}/volumes", "export": export, "share": share}
    ls.retire_export(export)


def _volume(ls, env, volume_id):
    return ls.stack.get(f"{env['base']}/{volume_id}").json()["volume"]


def _wait_volume(ls, env, volume_id, status, timeout=60):
    return ls.stack.wait_until(lambda: (v := _volume(ls, env, volume_id))["status"] == status and v,
                               timeout=timeout, what=f"volume {volume_id} {status}")


def _mount_row(ls, export_id):
    r = ls.stack.get(f"/api/v1/hosts/{ls.host}/mounts")
    assert r.status_code == 200, r.text
    return next(m for m in r.json()["mounts"] if m["export_id"] == str(export_id))


def test_hot_attached_volume_appears_in_the_guest_and_detaches_cleanly(libvirt_stack, volume_env):
    ls, env = libvirt_stack, volume_env
    r = ls.stack.post(env["base"], json={"volume": {"size": 1, "name": "sys-vol"}})
    assert r.status_code == 202, r.text
    volume_id = r.json()["volume"]["id"]
    _wait_volume(ls, env, volume_id, "available")
    assert (env["share"] / f"volume-{volume_id}").stat().st_size == 1 << 30  # the file, on the export itself

    server = ls.boot("sys-vol-guest")
    sid = server["id"]
    try:
        ls.wait_console(sid, ls.guest.marker)  # the guest's init is up and watching for block devices
        before = len(ls.console(sid))
        r = ls.stack.post(f"/compute/v2.1/servers/{sid}/os-volume_attachments",
                          json={"volumeAttachment": {"volumeId": volume_id}})
        assert r.status_code == 200, r.text
        assert r.json()["volumeAttachment"]["device"] == "/dev/vdb"
        _wait_volume(ls, env, volume_id, "in-use")

        ls.wait_console(sid, "marker-block: vdb", after=before)  # the guest kernel saw the new disk
        mount = _mount_row(ls, env["export"]["id"])
        assert mount["mounted"] and mount["attachments"] == [f"{volume_id}:{sid}"]
        assert mountinfo.is_mounted(mount["mountpoint"])
        assert _disks(ls, sid)["vdb"] == os.path.join(mount["mountpoint"], f"volume-{volume_id}")

        before = len(ls.console(sid))
        r = ls.stack.delete(f"/compute/v2.1/servers/{sid}/os-volume_attachments/{volume_id}")
        assert r.status_code == 202, r.text
        _wait_volume(ls, env, volume_id, "available", timeout=90)
        ls.wait_console(sid, "marker-block-gone: vdb", after=before)
        assert "vdb" not in _disks(ls, sid)
        mount = _mount_row(ls, env["export"]["id"])
        assert not mount["mounted"] and mount["attachments"] == [], "nobody needs the export: unmounted"
        assert ls.stack.server(sid)["status"] == "ACTIVE"
    finally:
        assert ls.stack.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
        ls.stack.wait_gone(sid, timeout=60)
    assert ls.stack.delete(f"{env['base']}/{volume_id}").status_code == 202
    ls.stack.wait_until(lambda: ls.stack.get(f"{env['base']}/{volume_id}").status_code == 404, timeout=60,
                        what="volume deleted")
    assert not (env["share"] / f"volume-{volume_id}").exists()
