"""The pure parts of the mount layer: command lines, os-brick naming, mountinfo parsing."""
from __future__ import annotations

import hashlib

import pytest

from hypervisors.volumes import ExportRef, mount_point_for
from hypervisors.volumes.commands import CommandResult, mount_argv, umount_argv
from hypervisors.volumes.mountinfo import mount_counts, mounts_under


def test_nfs_mount_command_line_as_os_brick_runs_it():
    exp = ExportRef(id="7", share="nfs1.example:/srv/cinder", fstype="nfs", options="vers=4.1,noatime")
    assert mount_argv(exp, "/var/lib/nova/mnt/abc") == [
        "mount", "-t", "nfs", "-o", "vers=4.1,noatime", "nfs1.example:/srv/cinder", "/var/lib/nova/mnt/abc"]


def test_nfs_without_options_and_bind():
    assert mount_argv(ExportRef(id="1", share="h:/x"), "/m") == ["mount", "-t", "nfs", "h:/x", "/m"]
    assert mount_argv(ExportRef(id="2", share="/srv/e", fstype="bind"), "/m") == ["mount", "--bind", "/srv/e", "/m"]
    assert umount_argv("/m") == ["umount", "/m"]


@pytest.mark.parametrize("share,fstype,options", [
    ("no-colon", "nfs", ""),
    ("host:relative", "nfs", ""),
    ("relative/dir", "bind", ""),
    ("h:/x", "cifs", ""),
    ("h:/x", "nfs", "vers=4 ; rm -rf /"),
])
def test_invalid_exports_are_refused(share, fstype, options):
    with pytest.raises(ValueError):
        ExportRef(id="1", share=share, fstype=fstype, options=options)


def test_mount_point_is_md5_of_the_share_like_os_brick():
    share = "192.168.1.10:/export/volumes"
    assert mount_point_for("/var/lib/nova/mnt", share) == (
        "/var/lib/nova/mnt/" + hashlib.md5(share.encode()).hexdigest())


def test_command_result_classifies_busy_and_not_mounted():
    assert CommandResult(32, "umount: /m: target is busy.").busy
    assert not CommandResult(0, "").busy
    assert CommandResult(32, "umount: /m: not mounted.").not_mounted


def test_mountinfo_parsing_unescapes_and_counts_stacked_mounts(tmp_path):
    info = tmp_path / "mountinfo"
    info.write_text(
        "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "40 22 0:21 /e1 /base/aaa rw shared:1 - ext4 /dev/sda1 rw\n"
        "41 40 0:21 /e1 /base/aaa rw shared:1 - ext4 /dev/sda1 rw\n"
        "42 22 0:21 /e2 /base/with\\040space rw shared:1 - ext4 /dev/sda1 rw\n"
        "43 22 0:21 /e3 /base/deep/nested rw shared:1 - ext4 /dev/sda1 rw\n"
    )
    counts = mount_counts(str(info))
    assert counts["/base/aaa"] == 2 and counts["/base/with space"] == 1
    assert mounts_under("/base", str(info)) == {"/base/aaa": 2, "/base/with space": 1}
