"""The `uptime` line Nova's hypervisor uptime API carries (Nova's libvirt driver runs `uptime` itself)."""
from __future__ import annotations

import os
import time


def uptime_line(up_seconds: float, *, now: float | None = None) -> str:
    """procps' format: ` 08:32:11 up 93 days, 18:25,  0 users,  load average: 0.20, 0.12, 0.14`."""
    clock = time.strftime("%H:%M:%S", time.localtime(now))
    minutes = int(up_seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    span = f"{hours}:{minutes:02d}" if hours else f"{minutes} min"
    if days:
        span = f"{days} day{'s' if days != 1 else ''}, {span}"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f" {clock} up {span},  0 users,  load average: {load}"


def machine_uptime_seconds() -> float:
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])
