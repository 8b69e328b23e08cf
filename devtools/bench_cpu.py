"""CPU time per part of the stack over an interval, from /proc (Linux only), for devtools.bench.

Tells where a phase's CPU went: the API (gunicorn), the host workers, PostgreSQL, Redis, the
benchmark client itself, and everything else on the machine (other users of the same cores).
A process's CPU includes its reaped children (cutime/cstime), so short-lived children are counted.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, int, int, float] | None:
    """(pid, ppid, pgid, cpu seconds incl. reaped children) of one process, None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm may contain spaces and parentheses: split after its last ')'.
    fields = raw[raw.rindex(")") + 2:].split()
    ppid, pgid = int(fields[1]), int(fields[2])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return pid, ppid, pgid, (utime + stime + cutime + cstime) / TICK


def _all_processes() -> list[tuple[int, int, int, float]]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st:
                out.append(st)
    return out


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])  # guest time is already inside user
    return (total - idle) / TICK, total / TICK


@dataclass
class Groups:
    """How to recognise each part: process groups (a Stack's processes are session leaders), and
    parent pids whose direct children belong to the part (the postmaster's backends)."""

    pgids: dict[str, set[int]]
    parents: dict[str, set[int]]
    pids: dict[str, set[int]]

    def sample(self) -> dict[str, float]:
        seconds = {name: 0.0 for name in {*self.pgids, *self.parents, *self.pids}}
        for pid, ppid, pgid, cpu in _all_processes():
            for name, ids in self.pgids.items():
                if pgid in ids:
                    seconds[name] += cpu
                    break
            else:
                for name, ids in self.parents.items():
                    if ppid in ids or pid in ids:
                        seconds[name] += cpu
                        break
                else:
                    for name, ids in self.pids.items():
                        if pid in ids:
                            seconds[name] += cpu
        t = os.times()
        seconds["client"] = t.user + t.system
        seconds["_machine_busy"], seconds["_machine_total"] = machine_busy_seconds()
        return seconds


def breakdown(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds per part between two samples, plus `other processes` and `idle`."""
    delta = {k: max(0.0, after[k] - before.get(k, 0.0)) for k in after}
    busy, total = delta.pop("_machine_busy"), delta.pop("_machine_total")
    ours = sum(delta.values())
    delta["other processes"] = max(0.0, busy - ours)
    delta["idle"] = max(0.0, total - busy)
    return delta


def format_breakdown(delta: dict[str, float], wall: float) -> str:
    cores = os.cpu_count() or 1
    parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(delta.items(), key=lambda kv: -kv[1]))
    return f"CPU seconds over {wall:.1f} s wall ({wall * cores:.1f} core-s on {cores} cores): {parts}"
