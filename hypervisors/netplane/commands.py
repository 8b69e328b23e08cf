"""Running the data plane's commands (ip, nft, dnsmasq): argument lists, a deadline, logged, errors raised."""
from __future__ import annotations

import json
import logging
import subprocess

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
