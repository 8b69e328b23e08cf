"""The benchmark's scale in hosts (devtools/bench.py): boots/s with N simulated hosts served by one multi-host fake
worker process, and the plot of the scale curves (docs/scale.png)."""
from __future__ import annotations

import time
from pathlib import Path

from devtools import bench_floors
from devtools.bench_boots import run_boots
from devtools.bench_stack import HOST_CAPACITY, log, sql_value, worker_memory


def scale_boot_phase(args, database_url: str, redis_url: str, template: str, workdir: Path) -> tuple[dict, list]:
    """Boots/s with N simulated hosts (real host rows, live heartbeats, one queue each) served by one
    multi-host fake worker process, on a fresh stack per N; and that process's memory."""
    from tests.integration.stack import new_stack

    out, dbs = {}, []
    for n in args.scale_boot_hosts:
        names = f"sim1..sim{n}"
        log(f"scale: a stack with {n} simulated hosts ({names}) in one worker process")
        stack = new_stack(base_database_url=database_url, template=template, redis_base_url=redis_url,
                          workdir=workdir / f"scale-{n}", hosts=[], start_workers=False,
                          **dict(HOST_CAPACITY, WORKER_LOGLEVEL="WARNING", DB_CONN_MAX_AGE=args.conn_max_age,
                                 HEARTBEAT_INTERVAL=10, API_MAX_LIMIT=1000))
        dbs.append(stack.database_url.rsplit("/", 1)[1])
        try:
            t0 = time.monotonic()
            stack.start_fake_hosts(names)
            stack.wait_until(stack._api_up, timeout=60, what="the API")
            # The worker recovers its hosts one by one first: 1,000 took over 200 s on a loaded 2-core machine.
            ready_timeout = max(120.0, n * 0.6)
            stack.wait_until(lambda: _hosts_up(stack) >= n, timeout=ready_timeout, interval=1.0,
                             what=f"{n} hosts up")
            # Host rows are up once recovered; the worker consumes their queues a little later.
            bench_floors.noop_round_trip(stack, host=f"sim{n}", timeout=ready_timeout)
            ready = time.monotonic() - t0
            token = stack.token()
            boots = run_boots(stack, token, args.scale_boots, args.concurrency, max(60.0, args.scale_boots / 5))
            rss = worker_memory(stack)["workers"][0]
            out[str(n)] = {"boots_per_s": boots["active"] / boots["elapsed"], "active": boots["active"],
                           "n": boots["n"], "rss_mib": rss, "ready_s": ready,
                           "worker_cpu_ms": 1000 * boots["cpu"].get("workers", 0.0) / boots["n"]}
            per_boot = ", ".join(f"{k} {1000 * v / boots['n']:.1f}" for k, v in
                                 sorted(boots["cpu"].items(), key=lambda kv: -kv[1]))
            log(f"scale: {n} hosts: {out[str(n)]['boots_per_s']:.1f} boots/s, worker "
                f"{out[str(n)]['worker_cpu_ms']:.1f} CPU ms per boot, RSS {rss:.0f} MiB, ready in {ready:.0f} s; "
                f"CPU ms per boot by part: {per_boot}")
        finally:
            stack.stop()
    return out, dbs


def _hosts_up(stack) -> int:
    return sql_value(stack.database_url,
                     "SELECT count(*) FROM compute_host WHERE last_heartbeat > now() - interval '60 seconds'")


def plot_scale(scale: dict, scale_boots: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=100)
    if scale:
        ns = sorted(scale, key=int)
        x = [int(n) for n in ns]
        left.plot(x, [scale[n]["placement_ms"] for n in ns], "o-", label="placement, claim committed (now)")
        left.plot(x, [scale[n]["full_pass_ms"] for n in ns], "s--", label="every host read, no claim (before)")
        left.set_yscale("log")
        left.legend()
    left.set_xscale("log")
    left.set_xlabel("compute hosts")
    left.set_ylabel("ms per placement (p50)")
    left.set_title("Scheduler cost per placement")
    left.grid(True, which="both", alpha=0.3)
    if scale_boots:
        ns = sorted(scale_boots, key=int)
        right.plot([int(n) for n in ns], [scale_boots[n]["boots_per_s"] for n in ns], "o-")
        right.set_ylim(bottom=0)
    right.set_xscale("log")
    right.set_xlabel("simulated hosts (one worker process)")
    right.set_ylabel("boots/s (closed loop, 8 clients)")
    right.set_title("Boot throughput")
    right.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    log(f"wrote {path}")

