"""Benchmark: every figure beside floors measured in the same run, on the same stack and machine.

    python -m devtools.services run --postgres --redis -- python -m devtools.bench [--boots 500]
        [--concurrency 8] [--rate R] [--list-runs 5] [--markdown] [--verbose] [--keep]

It starts a real stack (tests/integration/stack.py: a PostgreSQL database cloned from a migrated
template, a Redis db, the API under gunicorn, one Celery worker process per host) and measures it as a
client would, over HTTP:

- floors (devtools/bench_floors.py): an authenticated DRF POST writing one row (os-keypairs import) and a
  Celery no-op round trip on the same broker: latency and CPU core-ms per operation; a password token
  issue; `openstack server list` beside `openstack --version`. Targets are ratios to these floors.
- boots: N POSTs /compute/v2.1/servers from a thread pool with one token. A server's boot-to-ACTIVE
  latency is its `OS-SRV-USG:launched_at` (stamped by the worker when the build finished) minus the
  client's wall clock when its POST started (same machine, same clock). Every server is verified ACTIVE
  by listing /servers/detail. boots/s sustained = N / (first POST start .. last launched_at). Then an
  open loop at half that rate, for the latency below saturation.
- list: rows are bulk-inserted (mirroring a booted instance; see devtools/bench_probe.py) up to 1,000,
  10,000 and 100,000 live servers; GET /compute/v2.1/servers/detail?all_tenants=1 is timed (median of
  --list-runs): pages of 1,000 (first, last, one project's) and, with API_MAX_LIMIT=10000, all 10,000 in
  one response against its floor (the same rows read on a bare cursor and dumped with orjson). SQL
  queries per list are counted in-process (Django test Client under CaptureQueriesContext).
- scale in hosts: the scheduler's cost per placement with 10..10,000 host rows with fresh heartbeats
  (in-process), and boots/s with 4..1,000 simulated hosts served by one multi-host fake worker process
  (`compute_worker --hosts sim1..simN`, a queue each), with its memory; plotted to docs/scale.png.
- a real guest: POST -> ACTIVE of a TCG guest on one libvirt host (devtools/bench_libvirt.py), after the
  fake-driver stack is stopped; --libvirt-boots 0 skips it.
- where it goes: CPU seconds per part of the stack during the boots (/proc, devtools/bench_cpu.py),
  PostgreSQL connections opened, and SQL queries of one POST and of one build task (in-process).

Its parts: devtools/bench_stack.py (services, the stack, probes), bench_boots.py (floors and boots),
bench_lists.py, bench_scale.py (hosts), bench_table.py (rows, targets, the report).

Prints a table (metric, value, target, result); exit status 0 even when a target is missed (it is a
measurement), 1 when the benchmark itself could not run.
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

import psycopg2
import requests

from devtools import bench_moves, bench_mounts
from devtools.bench_boots import measure_floors, run_boots
from devtools.bench_libvirt import libvirt_boot_phase, libvirt_rows
from devtools.bench_lists import list_phase
from devtools.bench_scale import plot_scale, scale_boot_phase
from devtools.bench_stack import (HOSTS, REPO, BenchError, drop_databases, log, machine_facts, probe, require_services,
                                  start_stack, worker_memory)
from devtools.bench_table import build_rows, print_report, scale_rows


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m devtools.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--boots", type=int, default=500, help="servers to boot through the API (default 500)")
    p.add_argument("--concurrency", type=int, default=8, help="client threads POSTing (default 8)")
    p.add_argument("--rate", type=float, default=None,
                   help="open loop: start POSTs at this many per second (default: closed loop, as fast as "
                        "--concurrency clients go); shows latency below saturation")
    p.add_argument("--paced-fraction", type=float, default=0.5,
                   help="after the closed-loop run, offer boots at this fraction of its rate, open loop, for the "
                        "latency below saturation (default 0.5; 0: skip)")
    p.add_argument("--floor-posts", type=int, default=400, help="floor POSTs for the CPU figure (default 400)")
    p.add_argument("--paced-seconds", type=float, default=6.0, help="length of the paced run (default 6 s)")
    p.add_argument("--list-runs", type=int, default=5, help="timed GETs per list measurement (median)")
    p.add_argument("--profile-boots", type=int, default=20,
                   help="boots profiled in-process for query counts (0: skip)")
    p.add_argument("--no-lists", action="store_true", help="skip the 1,000/10,000 list measurements")
    p.add_argument("--scale-hosts", type=int, nargs="*", default=[10, 100, 1000, 10000],
                   help="host counts for the scheduler's placement cost (default 10 100 1000 10000; none: skip)")
    p.add_argument("--scale-boot-hosts", type=int, nargs="*", default=[4, 10, 100, 1000],
                   help="boots/s with this many simulated hosts served by one worker process (default 4 10 100 "
                        "1000; none: skip)")
    p.add_argument("--scale-boots", type=int, default=300, help="boots per host count (default 300)")
    p.add_argument("--plot", default=str(REPO / "docs" / "scale.png"),
                   help="write the scale curves to this PNG (default docs/scale.png; \"\": none)")
    p.add_argument("--big-list", type=int, default=100_000,
                   help="servers for the big-list pages (default 100,000; 0: skip)")
    p.add_argument("--qemu-moves", type=int, default=0,
                   help="after the libvirt boots, TCG guests resized and cold-migrated between two libvirt hosts "
                        "for the QEMU move rows (0: skip; not in make bench)")
    p.add_argument("--libvirt-boots", type=int, default=3,
                   help="real TCG guests booted one by one on a libvirt host for the boot-time row (0: skip)")
    p.add_argument("--conn-max-age", type=int, default=60,
                   help="DB_CONN_MAX_AGE for the API and workers (default 60, the settings default)")
    p.add_argument("--active-timeout", type=float, default=None,
                   help="seconds to wait for all servers ACTIVE after the last POST (default max(60, N/5))")
    p.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    p.add_argument("--move-runs", type=int, default=5,
                   help="servers resized, cold- and live-migrated on the fake driver, timed (0 skips)")
    p.add_argument("--no-mounts", action="store_true", help="skip the MountManager stress run and throughput")
    p.add_argument("--stress-ops", type=int, default=10_000,
                   help="attach/detach operations of the mount stress run (default 10,000)")
    p.add_argument("--verbose", action="store_true", help="print the SQL of a list, a POST and a build")
    p.add_argument("--keep", action="store_true", help="keep the stack's logs and databases")
    args = p.parse_args(argv)
    if args.boots < 1 or args.concurrency < 1:
        p.error("--boots and --concurrency must be >= 1")
    return args


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        database_url, redis_url = require_services()
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _on_sigterm)
    t_run = time.monotonic()
    workdir = REPO / ".run" / f"bench-{os.getpid()}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    stack, template, ok = None, None, False
    extra_databases: list[str] = []
    try:
        facts = machine_facts(database_url, redis_url)
        stack, template = start_stack(args, database_url, redis_url, workdir)
        stack.wait_ready()
        token = stack.token()
        log("stack ready")
        floors = measure_floors(stack, token, args)
        boots = run_boots(stack, token, args.boots, args.concurrency,
                          args.active_timeout or max(60.0, args.boots / 5), rate=args.rate)
        paced, paced_rate = None, 0.0
        if args.paced_fraction and not args.rate and boots["active"]:
            paced_rate = args.paced_fraction * boots["active"] / boots["elapsed"]
            n_paced = max(1, int(paced_rate * args.paced_seconds))
            log(f"booting {n_paced} more at {paced_rate:.1f}/s offered (open loop): latency below saturation")
            paced = run_boots(stack, token, n_paced, args.concurrency, max(60.0, n_paced / 5), rate=paced_rate)
        prof = None
        if args.profile_boots:
            log(f"profiling {args.profile_boots} boots in-process (SQL queries of POST and of the build task)")
            prof = probe(stack, "profile-boot", "--token", token, "--count", str(args.profile_boots))
        memory = worker_memory(stack)
        scale = None
        if args.scale_hosts:
            log(f"placement cost with {', '.join(map(str, args.scale_hosts))} hosts (host rows with fresh heartbeats)")
            scale = probe(stack, "place", "--hosts", *map(str, args.scale_hosts), "--count", "200", timeout=900)
        lists = None if args.no_lists else list_phase(stack, token, args.list_runs, args.big_list)
        moves = bench_moves.move_phase(stack, token, args.move_runs, log) if args.move_runs else None
        stack.stop()  # the four hosts are done: give the next phases the machine's cores
        scale_boots = None
        if args.scale_boot_hosts:
            scale_boots, dbs = scale_boot_phase(args, database_url, redis_url, template, workdir)
            extra_databases.extend(dbs)
        tcg = None
        if args.libvirt_boots:
            tcg = libvirt_boot_phase(database_url, redis_url, workdir, args.libvirt_boots, log, moves=args.qemu_moves)
            extra_databases.append(tcg["database"])
        pacing = f", open loop at {args.rate:g} POST/s" if args.rate else ", closed loop"
        facts += [("run", f"N={args.boots} boots, concurrency {args.concurrency}{pacing}, hosts {','.join(HOSTS)} "
                          f"(fake driver), flavor m1.tiny"),
                  ("stack", "gunicorn 2 workers x 8 threads (gthread); one Celery worker per host, "
                            f"threads pool x{os.environ.get('WORKER_CONCURRENCY', '4')}; "
                            f"DB_CONN_MAX_AGE={args.conn_max_age}; worker log level WARNING"),
                  ("bench wall time", f"{time.monotonic() - t_run:.0f} s")]
        if args.plot and (scale or scale_boots):
            plot_scale(scale or {}, scale_boots or {}, Path(args.plot))
        rows = (build_rows(boots, prof, lists, floors, paced, paced_rate) + scale_rows(scale, memory, scale_boots)
                + libvirt_rows(tcg) + bench_moves.move_rows(moves))
        print_report(facts, rows, args.markdown, boots, lists, prof, args.verbose)
        if not args.no_mounts:
            failures = bench_mounts.section(database_url, redis_url, args.stress_ops, log)
            if failures:
                raise BenchError(f"mount stress found violations: {failures}")
        ok = True
        return 0
    except KeyboardInterrupt:
        log("interrupted: stopping the stack")
        return 130
    except (BenchError, AssertionError, subprocess.SubprocessError, OSError, psycopg2.Error,
            requests.RequestException) as exc:
        print(f"\nbench: failed: {exc}", file=sys.stderr)
        if stack is not None:
            print(stack.logs_tail(), file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # finish cleaning up even if told twice
        if stack is not None:
            stack.stop()
        if not args.keep:
            names = [stack.database_url.rsplit("/", 1)[1]] if stack is not None else []
            # make_template's name, also when it was interrupted before returning it
            drop_databases(database_url, names + [template or f"tmpl_{os.getpid()}"] + extra_databases
                           + [f"tmpl_libvirt_{os.getpid()}"])
            if ok:
                shutil.rmtree(workdir, ignore_errors=True)
        if not ok or args.keep:
            print(f"bench: logs kept in {workdir}", file=sys.stderr)



if __name__ == "__main__":
    sys.exit(main())
