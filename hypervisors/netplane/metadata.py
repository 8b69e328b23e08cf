"""The metadata proxies of one host: one per network with ports here, in the network's DHCP namespace on
169.254.169.254:80 (metadata_proxy.py), relaying to the metadata API with the network id and the guest's address
signed. Started, restarted on a change of its settings, and stopped like the network's dnsmasq.

Files under `<state dir>/metadata/<network id>/`: `config` (network id, API URL, secret; mode 0600: the secret
stays off command lines), `pid`, `log`.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from . import metadata_proxy
from .commands import in_netns, pid_from_file, processes_with_arg, run, stop_process

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetadataConfig:
    """Where the proxies relay to (the worker's METADATA_API_URL) and the secret they sign with."""

    upstream: str
    secret: str

    def __post_init__(self) -> None:
        if not self.upstream.startswith(("http://", "https://")) or not self.secret:
            raise ValueError("MetadataConfig needs an http(s) upstream URL and a secret")


class MetadataProxies:
    def __init__(self, state_dir: Path, *, host_netns: str | None, config: MetadataConfig | None) -> None:
        self.dir = state_dir / "metadata"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host_netns, self.config = host_netns, config

    def _net_dir(self, network_id: str) -> Path:
        return self.dir / network_id

    def pid(self, network_id: str) -> int | None:
        return pid_from_file(self._net_dir(network_id) / "pid")

    def running(self) -> dict[str, int]:
        """{network id: pid} of every proxy started from this state directory, pid file or not."""
        return processes_with_arg(f"--pid-file={self.dir}/")

    def known(self) -> set[str]:
        """Network ids with anything of a proxy on this host: files or a process."""
        return {p.name for p in self.dir.iterdir() if p.is_dir()} | set(self.running())

    def ensure(self, network_id: str, netns: str) -> str:
        """Afterwards the network's proxy listens in `netns` with the current settings ("started" or "unchanged");
        without settings (no METADATA_API_URL) there is none ("removed" or "unchanged")."""
        if self.config is None:
            return "removed" if self.remove(network_id) else "unchanged"
        why = f"network {network_id}"
        d = self._net_dir(network_id)
        d.mkdir(exist_ok=True)
        config = json.dumps({"network_id": network_id, "upstream": self.config.upstream,
                             "secret": self.config.secret}, sort_keys=True)
        cfg, pidfile = d / "config", d / "pid"
        pid = self.pid(network_id)
        if pid is not None and cfg.exists() and cfg.read_text() == config:
            return "unchanged"
        if pid is not None:
            stop_process(pid, what=f"{why}: metadata proxy")
        tmp = d / ".config.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(config)
        os.replace(tmp, cfg)
        argv = [sys.executable, metadata_proxy.__file__, f"--netns={netns}", f"--config={cfg}",
                f"--pid-file={pidfile}", f"--log-file={d / 'log'}"]
        run(in_netns(self.host_netns, argv), what=f"{why}: starting the metadata proxy")
        LOG.info("%s: metadata proxy %s listening on %s:80 in %s, relaying to %s", why, self.pid(network_id),
                 metadata_proxy.METADATA_ADDRESS, netns, self.config.upstream)
        return "started"

    def remove(self, network_id: str) -> bool:
        """Stop the network's proxy and delete its files. True if anything was there."""
        found = False
        pid = self.pid(network_id) or self.running().get(network_id)
        if pid is not None:
            stop_process(pid, what=f"network {network_id}: metadata proxy")
            found = True
        if self._net_dir(network_id).exists():
            shutil.rmtree(self._net_dir(network_id), ignore_errors=True)
            found = True
        return found

