"""A second libvirtd (with its own virtlogd) beside the machine's, as a second hypervisor host on one machine:
live migration between two libvirt hosts needs two daemons.

    python -m devtools.libvirt_peer start|stop [--root DIR]

It runs in a mount namespace of its own that is a *slave* of the caller's: its private copies of
/run/libvirt, /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt and /etc/libvirt (bind mounts of
directories under `root`) are invisible outside, while mounts the caller makes later (volume exports) still
reach it and its QEMUs. Its socket is `root/run/libvirt-sock`: `uri` is
`qemu+unix:///system?socket=<that>`.

What differs from the first daemon, and why (libvirt 9.0, QEMU 7.2, tried on this machine):
- every state directory above: two daemons on one /run/libvirt would share the socket, the pid files and the
  per-domain state of a domain both know during a migration;
- `host_uuid`, a fresh one: libvirt refuses a migration whose two ends report the same host UUID ("Attempt to
  migrate guest to the same host"). Here the daemons already differ without it (no SMBIOS UUID to read, so
  each makes one up), but a machine with SMBIOS would give both the same;
- `cgroup_controllers = []` and its own migration port range, as precautions (both daemons would otherwise
  name the same machine cgroup for a domain of one name, and might hand out the same port): not shown
  necessary here;
- nothing else: the migration itself needs VIR_MIGRATE_UNSAFE (libvirt: "Migration without shared storage is
  unsafe", as it does not know a local file system is shared by both ends).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import uuid as uuidlib
from pathlib import Path

from devtools.libvirt_service import _alive, _terminate
from devtools.services import RUN_DIR

STATE_DIRS = {"run": "/run/libvirt", "lib": "/var/lib/libvirt", "cache": "/var/cache/libvirt",
              "log": "/var/log/libvirt", "etc": "/etc/libvirt"}
READY_TIMEOUT = 30.0


class LibvirtPeer:
    """A second libvirtd under `root`; `start()` then `uri`; `stop()` ends only its own daemons."""

    def __init__(self, root: str | os.PathLike = RUN_DIR / "libvirt-peer") -> None:
        self.root = Path(root)
        self.socket = self.root / "run" / "libvirt-sock"
        self.uri = f"qemu+unix:///system?socket={self.socket}"

    def _pid(self, name: str) -> int | None:
        try:
            pid = int((self.root / "run" / f"{name}.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def start(self) -> "LibvirtPeer":
        if self._pid("libvirtd"):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        for d in STATE_DIRS:
            (self.root / d).mkdir(parents=True, exist_ok=True)
        (self.root / "lib" / "qemu").mkdir()
        shutil.copytree("/etc/libvirt", self.root / "etc", dirs_exist_ok=True)
        with open(self.root / "etc" / "libvirtd.conf", "a") as conf:
            conf.write(f'\nhost_uuid = "{uuidlib.uuid4()}"\n')
        with open(self.root / "etc" / "qemu.conf", "a") as conf:
            conf.write("\ncgroup_controllers = [ ]\nmigration_port_min = 49300\nmigration_port_max = 49399\n")
        binds = " && ".join(f"mount --bind {self.root / d} {target}" for d, target in STATE_DIRS.items())
        script = (f"{binds} && virtlogd -d -p /run/libvirt/virtlogd.pid && libvirtd -d -p /run/libvirt/libvirtd.pid")
        res = subprocess.run(["unshare", "--mount", "--propagation", "slave", "--", "sh", "-c", script],
                             capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            raise RuntimeError(f"the peer libvirtd did not start ({res.returncode}): {res.stderr.strip()}")
        deadline = time.monotonic() + READY_TIMEOUT
        while subprocess.run(["virsh", "-c", self.uri, "-q", "version"], capture_output=True,
                             stdin=subprocess.DEVNULL).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the peer libvirtd at {self.uri} did not answer within {READY_TIMEOUT:.0f} s")
            time.sleep(0.1)
        print(f"libvirt_peer: started libvirtd ({self._pid('libvirtd')}) at {self.uri}", flush=True)
        return self

    def stop(self) -> None:
        for name in ("libvirtd", "virtlogd"):
            pid = self._pid(name)
            if pid is not None:
                _terminate(pid, name)
                print(f"libvirt_peer: stopped {name} ({pid})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.libvirt_peer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--root", default=str(RUN_DIR / "libvirt-peer"))
    args = parser.parse_args(argv)
    peer = LibvirtPeer(args.root)
    if args.command == "start":
        peer.start()
        print(peer.uri)
    else:
        peer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
