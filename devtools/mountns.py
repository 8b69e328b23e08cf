"""Whether this process runs in the private mount namespace devtools/in_mount_ns.sh made for it."""
import os


def in_private_mount_namespace() -> bool:
    # in_mount_ns.sh exports PRIVATE_MOUNT_NS as the namespace it made; a child of it, and only that, matches.
    return os.environ.get("PRIVATE_MOUNT_NS") == os.readlink("/proc/self/ns/mnt")


def can_mount_privately() -> bool:
    """Root inside that namespace: mounts made here are seen by nobody outside and vanish with us."""
    return os.geteuid() == 0 and in_private_mount_namespace()
