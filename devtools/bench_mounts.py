"""Benchmark of the MountManager: warm-export attach+detach pairs per second, against a naive baseline.

"Warm" means the export is already mounted and stays mounted (another attachment holds it), which is the
common case on a busy host: many volumes on few exports. Each pair is one attach and one detach of a fresh
key. Measured with 1 process, and with 4 processes on 4 exports (where per-export locks should let them run
side by side) and on one shared export. The baseline, measured in the same run on the same Redis, is the
naive design: one global lock per host around every attach and detach (lock, read the mount table, update
the set, unlock). A cold row (every pair mounts and unmounts) shows what the kernel side costs.

Run as root in a private mount namespace with REDIS_URL set (`make bench` does all of that).
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
from redis.lock import Lock

from hypervisors.volumes import ExportRef, MountManager
from hypervisors.volumes.mountinfo import is_mounted

TARGET_PAIRS_PER_S = 1000


class NaiveGlobalLockManager(MountManager):
    """The baseline: one lock for the whole host, taken for every operation; no warm path, no fencing."""

    def _global(self) -> Lock:
        return Lock(self.redis, f"naive:{{{self.host}}}:lock", timeout=self.lock_ttl, sleep=0.002,
                    blocking_timeout=self.lock_wait)

    def attach(self, export, key):
        with self._global():
            self._ensure_mounted(export)
            self.redis.sadd(f"naive:{{{self.host}}}:{export.id}", key)
        return self.mountpoint(export)

    def detach(self, export, key):
        with self._global():
            members = f"naive:{{{self.host}}}:{export.id}"
            self.redis.srem(members, key)
            if not self.redis.scard(members) and is_mounted(self.mountpoint(export)):
                os.system(f"umount {self.mountpoint(export)}")


class LockedPathOnlyManager(MountManager):
    """Ours without the warm path: every operation takes its export's fenced lock. Isolates what
    per-export locks alone give over one global lock."""

    def _fast(self, export, op, key):
        return None


KINDS = {"fenced": MountManager, "fenced-locked": LockedPathOnlyManager, "naive": NaiveGlobalLockManager}


def _worker(kind: str, redis_url: str, host: str, base: str, export: dict, seconds: float, warm: bool, out) -> None:
    rc = redis.Redis.from_url(redis_url)
    cls = KINDS[kind]
    mgr = cls(host=host, redis_client=rc, mount_base=base)
    exp = ExportRef(**export)
    anchor = f"anchor-{os.getpid()}:warm"
    if warm:
        mgr.attach(exp, anchor)
    pairs = 0
    prefix = uuid.uuid4().hex[:6]
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        key = f"{prefix}-{pairs}:i"
        mgr.attach(exp, key)
        mgr.detach(exp, key)
        pairs += 1
    elapsed = time.perf_counter() - start
    if warm:
        mgr.detach(exp, anchor)
    out.put(pairs / elapsed)


def measure(kind: str, *, processes: int, shared_export: bool, warm: bool, redis_url: str, workdir: Path,
            seconds: float) -> float:
    """Total pairs/s over `processes` processes, each looping for `seconds`."""
    host = f"bench-{uuid.uuid4().hex[:8]}"
    base = workdir / host
    exports = []
    for n in range(1 if shared_export else processes):
        src = workdir / f"{host}-export{n}"
        src.mkdir(parents=True)
        exports.append(dict(id=str(n + 1), share=str(src), fstype="bind"))
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(kind, redis_url, host, str(base), exports[i % len(exports)],
                                               seconds, warm, out)) for i in range(processes)]
    for p in procs:
        p.start()
    rates = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    return sum(rates)


def run(redis_url: str, seconds: float = 3.0, log=print) -> list[tuple[str, str, str, str]]:
    """Rows of (configuration, ours, ours without the warm path, naive global lock, target)."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-mounts-"))
    configs = [
        ("warm, 1 process", dict(processes=1, shared_export=True, warm=True)),
        ("warm, 4 processes, 4 exports", dict(processes=4, shared_export=False, warm=True)),
        ("warm, 4 processes, 1 shared export", dict(processes=4, shared_export=True, warm=True)),
        ("cold (mount+umount each pair), 1 process", dict(processes=1, shared_export=True, warm=False)),
    ]
    rows = []
    for label, cfg in configs:
        ours = measure("fenced", redis_url=redis_url, workdir=workdir, seconds=seconds, **cfg)
        locked = measure("fenced-locked", redis_url=redis_url, workdir=workdir, seconds=seconds, **cfg)
        naive = measure("naive", redis_url=redis_url, workdir=workdir, seconds=seconds, **cfg)
        target = f">= {TARGET_PAIRS_PER_S}" if label == "warm, 1 process" else ""
        log(f"  mounts {label}: {ours:.0f} pairs/s (locked path only {locked:.0f}, naive global lock {naive:.0f})")
        rows.append((label, f"{ours:,.0f}", f"{locked:,.0f}", f"{naive:,.0f}", target))
    return rows


def section(database_url: str, redis_url: str, stress_ops: int, log=print) -> list[str]:
    """`make bench`'s MountManager part: the full stress run (invariants under SIGKILL), then warm-path
    throughput. Returns what the stress run found wrong (empty when every check passed)."""
    from devtools import mount_stress

    log(f"mount stress: 4 worker processes, {stress_ops} operations over 3 exports, SIGKILLs")
    report = mount_stress.run_stress(redis_url=redis_url, database_url=database_url, workers=4, ops=stress_ops,
                                     exports=3, progress=log)
    print("\nMountManager stress run\n" + report.table())
    if not report.ok:
        return report.violations[:5] + [f"final {name} FAILED" for name, ok in report.final.items() if not ok]
    log("mount throughput: warm attach+detach pairs, 3 s per configuration")
    print("\nMountManager throughput\n" + format_rows(run(redis_url, log=log)))
    return []


def format_rows(rows) -> str:
    head = ("attach+detach pairs/s", "MountManager", "locked path only", "naive global lock", "target")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(head), "  " + "  ".join("-" * w for w in widths), *map(line, rows)])


if __name__ == "__main__":
    rows = run(os.environ["REDIS_URL"], seconds=float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
    print(format_rows(rows))
