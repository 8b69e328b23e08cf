"""Volumes on shared exports: naming, mount commands, and the MountManager (no Django here)."""
from .commands import MountError, MountFailed, MountTimedOut
from .exports import ExportRef, mount_point_for
from .fencing import LockLost, LockTimeout, StateLost
from .mounts import (DetachOutcome, MountManager, MountStatus, ReconcileReport, attachment_key,
                     volume_op_key)

__all__ = [
    "DetachOutcome", "ExportRef", "LockLost", "LockTimeout", "MountError", "MountFailed", "MountManager",
    "MountStatus", "MountTimedOut", "ReconcileReport", "StateLost", "attachment_key", "mount_point_for",
    "volume_op_key",
]
