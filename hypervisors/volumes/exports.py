"""An export as the mount layer sees it, and where a host mounts it."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

FSTYPES = ("nfs", "bind")


@dataclass(frozen=True)
class ExportRef:
    """One NFS export (`server:/path`), or a local directory bind-mounted in its place (`bind`)."""

    id: str
    share: str
    fstype: str = "nfs"
    options: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", str(self.id))
        if self.fstype not in FSTYPES:
            raise ValueError(f"export {self.id}: fstype {self.fstype!r} is not one of {FSTYPES}")
        if self.fstype == "nfs" and (":" not in self.share or not self.share.split(":", 1)[1].startswith("/")):
            raise ValueError(f"export {self.id}: NFS share {self.share!r} is not server:/path")
        if self.fstype == "bind" and not os.path.isabs(self.share):
            raise ValueError(f"export {self.id}: bind share {self.share!r} is not an absolute path")
        if any(c in self.options for c in " \t\n"):
            raise ValueError(f"export {self.id}: mount options must be one comma-separated word")


def mount_point_for(mount_base: str, share: str) -> str:
    """os-brick's RemoteFsClient naming (`<base>/<md5 of the share>`), as Nova and Cinder use, so an
    operator who knows those finds our mounts where they expect them."""
    return os.path.join(mount_base, hashlib.md5(share.encode("utf-8")).hexdigest())
