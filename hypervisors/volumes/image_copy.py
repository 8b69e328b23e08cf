"""Make a volume file: blank, or filled from an image (Cinder's copy_image_to_volume for its NFS driver).
The volume file is raw, so a qcow2 image is converted with qemu-img and a raw one copied; then the file
takes the volume's size (sparse: a 100 GiB volume costs nothing until the guest writes). Pure Python plus
qemu-img: the volume service calls it on its own mount."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess

from hypervisors.base import DriverError
from hypervisors.libvirt.disks import QEMU_IMG, image_info

LOG = logging.getLogger(__name__)


def volume_file_make(*, dst: str, size_bytes: int, mode: int, src: str | None = None,
                     disk_format: str = "raw") -> None:
    """Afterwards `dst` holds the image's disk (raw) and is `size_bytes` long. `src` None (a blank volume,
    or an image with no data, as the seeded cirros record): a blank file. Not O_EXCL: a redelivered create
    finds its own file and makes it again. Refuses a qcow2 naming a backing file (it could
    make qemu-img read any file) and an image larger than the volume. Repeating rewrites the same bytes."""
    fmt = disk_format if disk_format in ("raw", "qcow2") else "raw"
    if src is not None and fmt == "qcow2":
        info = image_info(src, fmt)  # read as the declared format, never probed
        if info.get("backing-filename") or info.get("full-backing-filename"):
            raise DriverError(f"image {src} is a qcow2 with a backing file: refused")
        if int(info.get("virtual-size", 0)) > size_bytes:
            raise DriverError(f"image {src} ({info.get('virtual-size')} bytes) is larger than the volume")
        # -n: write into the file that exists (its mode and owner stay), instead of making a new one.
        _truncate(dst, size_bytes, mode)
        res = subprocess.run([QEMU_IMG, "convert", "-q", "-n", "-f", "qcow2", "-O", "raw", src, dst],
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise DriverError(f"qemu-img convert {src}: {res.stderr.strip()}")
    elif src is not None:
        if os.path.getsize(src) > size_bytes:
            raise DriverError(f"image {src} ({os.path.getsize(src)} bytes) is larger than the volume")
        _truncate(dst, 0, mode)
        with open(src, "rb") as inp, open(dst, "r+b") as out:
            shutil.copyfileobj(inp, out, 1 << 20)
    _truncate(dst, size_bytes, mode)
    if src is not None:
        LOG.info("volume file %s filled from %s (%s), %d bytes", dst, src, fmt, size_bytes)


def _truncate(path: str, size: int, mode: int) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, mode)
    try:
        os.ftruncate(fd, size)
        os.fchmod(fd, mode)  # os.open's mode is masked by the umask
    finally:
        os.close(fd)
