"""Running the data plane's commands (ip, nft, dnsmasq): argument lists, a deadline, logged, errors raised."""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

LOG = logging.getLogger(__name__)
TIMEOUT = 20.0


class NetplaneError(Exception):
    """A data-plane command failed or timed out; the message names the command and what it printed."""


def run(argv: list[str], *, what: str, input: str | None = None, timeout: float = TIMEOUT,
        check: bool = True) -> subprocess.CompletedProcess:
    """Run `argv` (a list, never a shell string: no id or name can inject a command)."""
    try:
        res = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise NetplaneError(f"{what}: {argv[0]} timed out after {timeout:.0f} s") from exc
    except OSError as exc:
        raise NetplaneError(f"{what}: {exc}") from exc
    if check and res.returncode != 0:
        raise NetplaneError(f"{what}: {' '.join(argv)} exited {res.returncode}: "
                            f"{(res.stderr or res.stdout).strip()}")
    LOG.debug("%s: %s -> %s", what, " ".join(argv), res.returncode)
    return res


def in_netns(netns: str | None, argv: list[str]) -> list[str]:
    """`argv` run inside network namespace `netns` (None: this process's own)."""
    return argv if netns is None else ["ip", "netns", "exec", netns, *argv]


def ip(netns: str | None, *args: str, what: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(["ip", *(["-n", netns] if netns else []), *args], what=what, check=check)


def ip_json(netns: str | None, *args: str, what: str) -> list[dict]:
    out = ip(netns, "-j", *args, what=what).stdout.strip()
    return json.loads(out) if out else []


def processes_with_arg(prefix: str) -> dict[str, int]:
    """{what follows `prefix`, up to the next '/': pid} of every process with an argument starting with
    `prefix` (our daemons carry `--pid-file=<state dir>/<network id>/pid`: found with or without their pid file)."""
    marker = prefix.encode()
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            args = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        for arg in args:
            if arg.startswith(marker):
                found[arg[len(marker):].decode().split("/")[0]] = int(entry.name)
    return found


def pid_from_file(pidfile: Path) -> int | None:
    """The pid in `pidfile` if that process runs and was started with `--pid-file=<pidfile>` (pids are reused)."""
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    return pid if f"--pid-file={pidfile}".encode() in cmdline else None


def stop_process(pid: int, *, what: str) -> None:
    """SIGTERM, up to 5 s, then SIGKILL; gone (or a zombie) afterwards."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"):
                break  # a zombie of ours: gone for every purpose
        except (OSError, IndexError):
            break
        time.sleep(0.05)
    else:
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)
    LOG.info("%s: stopped %d", what, pid)
