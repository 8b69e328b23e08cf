"""virtlogd + libvirtd without systemd, for the system tests, `make run` and `make bench`.

    python -m devtools.libvirt_service start|stop|status

Why the mount namespace matters: tests run in a private mount namespace (`unshare --mount`), and the
bind mounts they make must be visible to QEMU, which libvirtd starts inside a namespace copied from
its own. So a libvirtd running in another mount namespace (started by an earlier shell, or another
test session) is stopped and ours is started from the caller's namespace; one already in ours is reused
as is. Only daemons this object started are stopped by `stop()`.

Pure stdlib (it runs before the venv has libvirt-python): readiness is `virsh -c URI version`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("virtlogd", "libvirtd")  # virtlogd first: libvirtd hands QEMU's logs to it
PIDFILES = {"virtlogd": Path("/run/virtlogd.pid"), "libvirtd": Path("/run/libvirtd.pid")}
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def mount_ns(pid: int | str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None


def pids_of(name: str) -> list[int]:
    """Processes whose command name is exactly `name` (from /proc; no pgrep pattern matching)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if Path(f"/proc/{entry}/comm").read_text().strip() == name:
                out.append(int(entry))
        except OSError:
            continue
    return sorted(out)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0): it is gone for our purposes
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _terminate(pid: int, name: str) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        print(f"libvirt_service: {name} ({pid}) ignored SIGTERM for {STOP_TIMEOUT:.0f} s: SIGKILL", flush=True)
        os.kill(pid, signal.SIGKILL)


class LibvirtService:
    """Make sure virtlogd and libvirtd run in our mount namespace; `stop()` undoes only what we did."""

    def __init__(self, uri: str = "qemu:///system") -> None:
        self.uri = uri
        self.started: dict[str, int] = {}  # daemon -> pid, for the ones we started

    def status(self) -> dict[str, list[tuple[int, bool]]]:
        """daemon -> [(pid, in our mount namespace)]"""
        ours = mount_ns("self")
        return {name: [(pid, mount_ns(pid) == ours) for pid in pids_of(name)] for name in DAEMONS}

    def start(self, *, reuse_any_namespace: bool = False) -> "LibvirtService":
        """Afterwards both daemons run and `uri` answers. A daemon in another mount namespace is replaced,
        unless `reuse_any_namespace` (make run: a host's own libvirtd, e.g. systemd's, is used as is)."""
        for name in DAEMONS:
            if not shutil.which(name):
                raise RuntimeError(f"{name} not found: apt-get install libvirt-daemon-system qemu-system-x86")
        ours = mount_ns("self")
        for name in DAEMONS:
            running = pids_of(name)
            if running and (reuse_any_namespace or all(mount_ns(pid) == ours for pid in running)):
                continue
            for pid in running:
                print(f"libvirt_service: stopping {name} ({pid}): it runs in another mount namespace", flush=True)
                _terminate(pid, name)
            self._start_daemon(name)
        self.wait_ready()
        return self

    def _start_daemon(self, name: str) -> None:
        pidfile = PIDFILES[name]
        # -d daemonizes only once the daemon is set up; a failing start exits non-zero with the reason
        res = subprocess.run([name, "-d", "-p", str(pidfile)], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            raise RuntimeError(f"{name} -d failed ({res.returncode}): {res.stderr.strip() or res.stdout.strip()}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                pid = int(pidfile.read_text().strip())
                if _alive(pid):
                    self.started[name] = pid
                    print(f"libvirt_service: started {name} ({pid})", flush=True)
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{name} started but wrote no live pid to {pidfile}")

    def answers(self) -> bool:
        res = subprocess.run(["virsh", "-c", self.uri, "-q", "version"], capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL)
        return res.returncode == 0

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self.answers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"libvirt at {self.uri} did not answer within {timeout:.0f} s")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the daemons we started (libvirtd first), in the reverse order; others are left alone.
        Guests still running keep running: QEMU does not depend on libvirtd staying up."""
        for name in reversed(DAEMONS):
            pid = self.started.pop(name, None)
            if pid is not None:
                _terminate(pid, name)
                print(f"libvirt_service: stopped {name} ({pid})", flush=True)

    def __enter__(self) -> "LibvirtService":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.libvirt_service", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--uri", default=os.environ.get("LIBVIRT_URI", "qemu:///system"))
    args = parser.parse_args(argv)
    service = LibvirtService(args.uri)
    if args.command == "start":
        service.start()  # left running: the CLI's caller owns it now
        print(f"libvirt ready at {args.uri}")
    elif args.command == "stop":
        for name in reversed(DAEMONS):
            for pid in pids_of(name):
                _terminate(pid, name)
                print(f"stopped {name} ({pid})")
    else:
        for name, procs in service.status().items():
            print(f"{name}: " + (", ".join(f"{pid} ({'our' if same else 'another'} mount namespace)"
                                           for pid, same in procs) or "not running"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
