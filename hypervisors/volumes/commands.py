"""The mount and umount command lines, run with a deadline, and what their failures mean."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass

from .exports import ExportRef

LOG = logging.getLogger(__name__)

# util-linux exits 32 for "mount failure"; umount prints "target is busy" when a file is open inside.
_BUSY_MARKERS = ("target is busy", "device is busy")
_NOT_MOUNTED_MARKERS = ("not mounted", "no mount point specified")


class MountError(Exception):
    """A mount or umount that did not do its job. `mountpoint` names where."""

    def __init__(self, mountpoint: str, message: str) -> None:
        super().__init__(f"{mountpoint}: {message}")
        self.mountpoint = mountpoint
        self.message = message
        self.args = (mountpoint, message)


class MountFailed(MountError):
    pass


class MountTimedOut(MountFailed):
    """The command was killed after the configured timeout (a dead NFS server hangs `mount`)."""


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    output: str
    timed_out: bool = False

    @property
    def busy(self) -> bool:
        return self.returncode != 0 and any(m in self.output.lower() for m in _BUSY_MARKERS)

    @property
    def not_mounted(self) -> bool:
        return self.returncode != 0 and any(m in self.output.lower() for m in _NOT_MOUNTED_MARKERS)


def mount_argv(export: ExportRef, mountpoint: str, *, binary: str = "mount") -> list[str]:
    """`mount -t nfs -o OPTS server:/path MP`, as os-brick runs it; `mount --bind SRC MP` for local
    exports. Arguments are a list, never a shell string: a share name cannot inject a command."""
    if export.fstype == "bind":
        argv = [binary, "--bind"]
        if export.options:
            argv += ["-o", export.options]
        return argv + [export.share, mountpoint]
    argv = [binary, "-t", "nfs"]
    if export.options:
        argv += ["-o", export.options]
    return argv + [export.share, mountpoint]


def umount_argv(mountpoint: str, *, binary: str = "umount") -> list[str]:
    return [binary, mountpoint]


# A mount left running by a worker that died (SIGKILL, OOM) could finish after the lock expired and
# another process took over. util-linux's setpriv makes the kernel kill it when its parent dies.
_SETPRIV = shutil.which("setpriv")


def processes_on(path: str) -> list[int]:
    """Pids of other processes whose command line names `path` as an argument (a `mount` or `umount` of it),
    read from /proc; zombies (empty command lines) and processes that vanish meanwhile are skipped."""
    want, me, found = os.fsencode(path), os.getpid(), []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if want in args:
            found.append(int(entry.name))
    return found


def run(argv: list[str], *, timeout: float) -> CommandResult:
    """Run one command; on timeout kill it (subprocess.run sends SIGKILL) and say so, never hang."""
    if _SETPRIV:
        argv = [_SETPRIV, "--pdeathsig", "KILL", "--", *argv]
    try:
        res = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.output.decode("utf-8", "replace") if exc.output else ""
        LOG.warning("%s killed after %.1f s", " ".join(argv), timeout)
        return CommandResult(returncode=-9, output=out, timed_out=True)
    return CommandResult(returncode=res.returncode, output=res.stdout.decode("utf-8", "replace").strip())
