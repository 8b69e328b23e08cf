"""What the kernel says is mounted: /proc/self/mountinfo, the only source of truth for a mount point."""
from __future__ import annotations

import os
import re
from collections import Counter

MOUNTINFO = "/proc/self/mountinfo"
_OCTAL = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    # The kernel escapes space, tab, newline and backslash in paths as \040 etc.
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def mount_counts(path: str = MOUNTINFO) -> Counter[str]:
    """Mount point -> how many mounts are stacked on it (more than one is a bug worth seeing)."""
    counts: Counter[str] = Counter()
    with open(path, "rb") as f:
        for line in f.read().decode("utf-8", "surrogateescape").splitlines():
            fields = line.split(" ")
            if len(fields) > 4:
                counts[_unescape(fields[4])] += 1
    return counts


def is_mounted(mountpoint: str, path: str = MOUNTINFO) -> bool:
    return mount_counts(path)[os.path.normpath(mountpoint)] > 0


def mounts_under(base: str, path: str = MOUNTINFO) -> dict[str, int]:
    """Mount points directly under `base` (one level: os-brick's layout), with their stack counts."""
    base = os.path.normpath(base)
    return {mp: n for mp, n in mount_counts(path).items() if os.path.dirname(mp) == base}
