"""Instance disks on this host: a cache of base images and a qcow2 overlay per instance.

Layout under the instances directory (Nova's, roughly):
    _base/<image id>            base image data, copied once per image id, shared read-only
    _base/kernel-<sha1>         kernel / ramdisk files, keyed by their source path
    <instance uuid>/disk        qcow2 overlay backed by the base (or a blank qcow2)
    <instance uuid>/console.log the serial console

Files are copied out of the image store rather than used in place: QEMU runs as `libvirt-qemu` and
must read them whatever modes the image store uses, and a deleted image must not break its guests.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from hypervisors.base import DriverError, ImageRef

LOG = logging.getLogger(__name__)
QEMU_IMG = "qemu-img"
DIR_MODE = 0o755  # QEMU (another user) must traverse to the disks
FILE_MODE = 0o644


def _run(cmd: list[str], what: str, instance_uuid: str | None) -> str:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DriverError(f"{what}: {exc}", instance_uuid) from exc
    if res.returncode != 0:
        raise DriverError(f"{what}: {res.stderr.strip() or res.stdout.strip()}", instance_uuid)
    return res.stdout


def image_info(path: str, fmt: str, instance_uuid: str | None = None) -> dict:
    """`qemu-img info` of `path` read as `fmt` (never probed: a raw image could pose as qcow2)."""
    return json.loads(_run([QEMU_IMG, "info", "--output=json", "-f", fmt, path], f"qemu-img info {path}",
                           instance_uuid))


class InstanceDisks:
    """Disks of the guests of one host, under `instances_dir`."""

    def __init__(self, instances_dir: str | os.PathLike) -> None:
        self.root = Path(instances_dir).resolve()
        self.base_dir = self.root / "_base"
        for d in (self.root, self.base_dir):
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, DIR_MODE)

    def instance_dir(self, uuid: str) -> Path:
        return self.root / uuid

    def make_instance_dir(self, uuid: str) -> Path:
        """The instance's directory, traversable by QEMU (a volume-backed guest keeps its console log there)."""
        inst_dir = self.instance_dir(uuid)
        inst_dir.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(inst_dir, DIR_MODE)
        return inst_dir

    def disk_path(self, uuid: str) -> Path:
        return self.instance_dir(uuid) / "disk"

    def rescue_disk_path(self, uuid: str) -> Path:
        return self.instance_dir(uuid) / "disk.rescue"

    def unrescue_xml_path(self, uuid: str) -> Path:
        """The guest's own definition, kept while it is rescued."""
        return self.instance_dir(uuid) / "unrescue.xml"

    def export_qcow2(self, uuid: str, target: str) -> None:
        """A standalone qcow2 copy of the root disk (its backing image folded in) at `target`, written to a
        temporary name and renamed. `-U`: a running QEMU holds the image's lock; the caller pauses it."""
        self._flatten(uuid, str(target), f"snapshot of instance {uuid}")

    def _flatten(self, uuid: str, target: str, what: str) -> None:
        tmp = f"{target}.part"
        try:
            _run([QEMU_IMG, "convert", "-U", "-f", "qcow2", "-O", "qcow2", str(self.disk_path(uuid)), tmp], what, uuid)
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def copy_root_to(self, uuid: str, dest: "InstanceDisks") -> Path:
        """The root disk, its backing image folded in, as `dest`'s disk of the instance (a resize or cold
        migration to another host: its image cache need not hold the base). Written to a temporary name and
        renamed, so a copy cut short is never taken for a disk; a repeat overwrites."""
        target = dest.disk_path(uuid)
        target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(target.parent, DIR_MODE)
        self._flatten(uuid, str(target), f"copying the disk of instance {uuid} to {dest.root}")
        return target

    def grow_root(self, uuid: str, root_gb: int) -> None:
        """Grow the root disk to `root_gb` if it is smaller (a resize to a larger flavor; never shrinks)."""
        disk = str(self.disk_path(uuid))
        if int(image_info(disk, "qcow2", uuid).get("virtual-size", 0)) < root_gb << 30:
            _run([QEMU_IMG, "resize", "-q", "-f", "qcow2", disk, str(root_gb << 30)],
                 f"growing the disk of instance {uuid} to {root_gb} GiB", uuid)

    def console_path(self, uuid: str) -> Path:
        return self.instance_dir(uuid) / "console.log"

    def remove(self, uuid: str) -> bool:
        """Remove the instance's directory (disk, console log); True if there was one."""
        path = self.instance_dir(uuid)
        if not path.exists():
            return False
        shutil.rmtree(path, ignore_errors=True)
        return True

    # -- base images -----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, key: str):
        # Several task threads (and two workers sharing a directory) may fetch one image at once.
        with open(self.base_dir / f".{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def cached(self, src: str, key: str, instance_uuid: str | None = None) -> Path:
        """A copy of `src` at `_base/<key>`, readable by QEMU; copied only the first time."""
        target = self.base_dir / key
        if target.exists():
            return target
        with self._locked(key):
            if target.exists():
                return target
            if not src or not os.path.isfile(src):
                raise DriverError(f"image data {src!r} is not a file on this host", instance_uuid)
            fd, tmp = tempfile.mkstemp(dir=self.base_dir, prefix=f".{key}.")
            try:
                with os.fdopen(fd, "wb") as out, open(src, "rb") as data:
                    shutil.copyfileobj(data, out, 1 << 20)
                os.chmod(tmp, FILE_MODE)
                os.replace(tmp, target)  # readers see the whole file or none
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            LOG.info("cached image data %s as %s (for instance %s)", src, target, instance_uuid)
        return target

    def boot_file(self, src: str, kind: str, instance_uuid: str) -> str:
        key = f"{kind}-{hashlib.sha1(os.path.abspath(src).encode()).hexdigest()}"
        return str(self.cached(src, key, instance_uuid))

    # -- instance disks --------------------------------------------------------------------------------

    def create_root(self, uuid: str, image: ImageRef | None, root_gb: int, *, rescue: bool = False) -> Path:
        """The instance's root disk: a qcow2 overlay on the cached image, or blank if the image has no data.
        `rescue`: the rescue disk beside it instead (`disk.rescue`), the root disk untouched.

        The overlay grows to `root_gb` if that is larger than the image, as Nova's root disk does."""
        self.make_instance_dir(uuid)
        disk = self.rescue_disk_path(uuid) if rescue else self.disk_path(uuid)
        size = root_gb << 30
        cmd = [QEMU_IMG, "create", "-q", "-f", "qcow2"]
        if image is not None and image.path:
            fmt = image.disk_format if image.disk_format in ("raw", "qcow2") else "raw"
            base = self.cached(image.path, image.id, uuid)
            info = image_info(str(base), fmt, uuid)
            if fmt == "qcow2" and (info.get("backing-filename") or info.get("full-backing-filename")):
                # an uploaded qcow2 naming a backing file could make QEMU read any file on the host
                raise DriverError(f"image {image.id} is a qcow2 with a backing file: refused", uuid)
            size = max(size, int(info.get("virtual-size", 0)))
            cmd += ["-F", fmt, "-b", str(base)]
        cmd += [str(disk), str(size or 1 << 30)]
        _run(cmd, f"creating the root disk of instance {uuid}", uuid)
        os.chmod(disk, FILE_MODE)
        return disk

    def statvfs_gb(self) -> int:
        st = os.statvfs(self.root)
        return max(1, st.f_blocks * st.f_frsize >> 30)
