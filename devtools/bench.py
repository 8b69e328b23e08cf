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

Prints a table (metric, value, target, result); exit status 0 even when a target is missed (it is a
measurement), 1 when the benchmark itself could not run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path

import psycopg2
import requests

from devtools.bench_cpu import Groups, breakdown, format_breakdown
from devtools import bench_floors, bench_mounts, bench_moves
from devtools.bench_libvirt import libvirt_boot_phase, libvirt_rows
from devtools.bench_report import (
    FAIL, PASS, Row, all_equal, format_header, format_markdown, format_table, info, median, percentile,
    ratio_at_most, summary,
)

REPO = Path(__file__).resolve().parent.parent
HOSTS = ["bench1", "bench2", "bench3", "bench4"]
DETAIL = "/compute/v2.1/servers/detail"
# Generous fake capacity: 10,000+ m1.tiny servers fit on 4 hosts with room to spare.
HOST_CAPACITY = {"FAKE_HOST_VCPUS": 65536, "FAKE_HOST_MEMORY_MB": 67108864, "FAKE_HOST_DISK_GB": 1048576}
# Targets are ratios to floors measured in the same run (devtools/bench_floors.py): machines differ.
MAX_CPU_RATIO = 3.0    # CPU core-ms per boot <= 3x (floor POST + floor task)
MAX_P50_RATIO = 3.0    # open-loop boot-to-ACTIVE p50 at half the saturation rate <= 3x floor POST p50
MAX_LIST_RATIO = 2.0   # the full 10,000-server list <= 2x its rows read and serialized with orjson alone
MAX_PLACEMENT_RATIO = 2.0  # the scheduler's cost per placement at 1,000 hosts <= 2x at 10 hosts
MAX_BIG_PAGE_RATIO = 1.5  # a page of servers/detail at 100,000 servers <= 1.5x the same page at 10,000


class BenchError(RuntimeError):
    """The benchmark could not run (as opposed to: it ran and a target was missed)."""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ------------------------------------------------------------------------------- environment

def require_services() -> tuple[str, str]:
    db, rd = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    problems = []
    if not db:
        problems.append("DATABASE_URL is not set")
    elif not db.startswith(("postgres://", "postgresql://")):
        problems.append(f"DATABASE_URL must be a PostgreSQL URL (got {db.split(':', 1)[0]}://...)")
    if not rd:
        problems.append("REDIS_URL is not set")
    elif not rd.startswith("redis://"):
        problems.append("REDIS_URL must be a redis:// URL")
    if problems:
        raise BenchError("; ".join(problems) + ".\nRun the benchmark with throwaway services:\n"
                         "  .venv/bin/python -m devtools.services run --postgres --redis -- "
                         ".venv/bin/python -m devtools.bench")
    return db, rd


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            k, _, v = line.partition(":")
            if k.strip() == key:
                return v.strip()
    except OSError:
        pass
    return None


def machine_facts(database_url: str, redis_url: str) -> list[tuple[str, str]]:
    ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem_kb = _proc_field("/proc/meminfo", "MemTotal")
    ram = f"{int(mem_kb.split()[0]) / 1024 / 1024:.1f} GiB" if mem_kb else "?"
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            pg = cur.fetchone()[0]
    finally:
        conn.close()
    import redis

    rv = redis.Redis.from_url(redis_url).info("server").get("redis_version", "?")
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return [("date (UTC)", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")),
            ("load average at start", f"{load} (1/5/15 min; other work on the machine skews results)"),
            ("machine", f"nproc {ncpu}, {_proc_field('/proc/cpuinfo', 'model name') or platform.processor()}, "
                        f"RAM {ram}"),
            ("software", f"Python {platform.python_version()}, PostgreSQL {pg}, Redis {rv}")]


# ------------------------------------------------------------------------------------- stack

def start_stack(args, database_url: str, redis_url: str, workdir: Path):
    from tests.integration.stack import make_template, new_stack

    log("creating the template database (migrate + bootstrap)")
    template = make_template(database_url, workdir / "template")
    env = dict(HOST_CAPACITY, WORKER_LOGLEVEL="WARNING", DB_CONN_MAX_AGE=args.conn_max_age,
               HEARTBEAT_INTERVAL=10, API_MAX_LIMIT=1000, QUOTA_KEY_PAIRS=-1)  # the floor POST imports keypairs
    log(f"starting the stack: API (gunicorn) + workers {', '.join(HOSTS)}")
    stack = new_stack(base_database_url=database_url, template=template, redis_base_url=redis_url,
                      workdir=workdir / "stack", hosts=HOSTS, **env)
    return stack, template


def cpu_groups(stack) -> Groups:
    """Which processes are which part of the stack, for the CPU breakdown."""
    import redis

    parents, pids = {}, {}
    try:
        conn = psycopg2.connect(stack.database_url)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                backend = cur.fetchone()[0]
        finally:
            conn.close()
        stat = Path(f"/proc/{backend}/stat").read_text()
        parents["postgres"] = {int(stat[stat.rindex(")") + 2:].split()[1])}  # the postmaster
    except (OSError, psycopg2.Error, ValueError) as exc:
        log(f"(no PostgreSQL CPU accounting: {exc})")
    try:
        pids["redis"] = {int(redis.Redis.from_url(stack.redis_url).info("server")["process_id"])}
    except Exception as exc:
        log(f"(no Redis CPU accounting: {exc})")
    pgids = {"api": {stack.procs["api"].pid},
             "workers": {p.pid for name, p in stack.procs.items() if name.startswith("worker-")}}
    return Groups(pgids=pgids, parents=parents, pids=pids)


def pg_sessions(stack) -> int | None:
    """Connections ever opened to the stack's database (pg_stat_database.sessions, PostgreSQL 14+).

    Counted when a backend reports its stats: at once for closed connections, within ~1-10 s for
    open ones, so a short per-task connection shows up here by the time the phase is over."""
    try:
        conn = psycopg2.connect(stack.database_url)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
                return int(cur.fetchone()[0])
        finally:
            conn.close()
    except (psycopg2.Error, TypeError):
        return None


def drop_databases(database_url: str, names: list[str]) -> None:
    from tests.integration.stack import _admin_sql

    for name in names:
        try:
            _admin_sql(database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except Exception as exc:  # cleanup is best effort; the throwaway cluster goes anyway
            log(f"could not drop database {name}: {exc}")


def probe(stack, *args: str, timeout: float = 300) -> dict:
    """Run devtools.bench_probe against the stack's database; its last stdout line is JSON."""
    env = stack.env | {k: v for k, v in os.environ.items() if k == "BENCH_CPROFILE"}
    res = subprocess.run([sys.executable, "-m", "devtools.bench_probe", *args], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise BenchError(f"bench_probe {args[0]} failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------ floors

def measure_floors(stack, token: str, args) -> dict:
    groups = cpu_groups(stack)
    log("floor: password token issue (argon2id) x10")
    tok = bench_floors.token_issue(stack, n=10)
    log("floor: `openstack --version` and `openstack server list` x3")
    cli = bench_floors.cli_times(stack, runs=3)
    log(f"floor: authenticated POST writing one row (os-keypairs import): 100 one by one, "
        f"{args.floor_posts} by {args.concurrency} clients")
    post = bench_floors.floor_post(stack, token, groups, n_latency=100, n_cpu=args.floor_posts,
                                   concurrency=args.concurrency)
    log(f"floor: Celery no-op round trip to compute.{HOSTS[0]} x300")
    task = bench_floors.floor_task(stack, groups, host=HOSTS[0], n=300)
    return {"post": post, "task": task, "token": tok, "cli": cli}


# ------------------------------------------------------------------------------------- boots

def _parse_launched(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()


def list_all(session: requests.Session, base: str, token: str, page: int = 1000) -> list[dict]:
    """Every server (all tenants), following the keyset pagination."""
    servers, marker = [], None
    while True:
        params = {"all_tenants": "1", "limit": str(page)}
        if marker:
            params["marker"] = marker
        r = session.get(base + DETAIL, params=params, headers={"X-Auth-Token": token}, timeout=120)
        if r.status_code != 200:
            raise BenchError(f"GET {DETAIL} -> {r.status_code}: {r.text[:300]}")
        body = r.json()
        servers.extend(body["servers"])
        if not body.get("servers_links") or not body["servers"]:
            return servers
        marker = body["servers"][-1]["id"]


def run_boots(stack, token: str, n: int, concurrency: int, timeout: float, rate: float | None = None) -> dict:
    """Closed loop by default (each client thread POSTs again as soon as answered); with `rate`,
    POST i starts no earlier than i/rate s after the first (open loop, at most `concurrency` in flight)."""
    base = stack.url("")
    image = stack.image_id()
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "s"):
            local.s = requests.Session()
            local.s.headers["X-Auth-Token"] = token
        return local.s

    def post(i: int):
        body = {"server": {"name": f"bench-{i}", "imageRef": image, "flavorRef": "1"}}
        if rate:
            delay = t_first + i / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        t0 = time.time()
        try:
            r = session().post(base + "/compute/v2.1/servers", json=body, timeout=120)
        except requests.RequestException as exc:
            return i, t0, time.time(), None, f"{type(exc).__name__}: {exc}"
        t1 = time.time()
        if r.status_code != 202:
            return i, t0, t1, None, f"HTTP {r.status_code}: {r.text[:200]}"
        return i, t0, t1, r.json()["server"]["id"], None

    starts, post_lat, errors = {}, [], []
    groups = cpu_groups(stack)
    sessions_before = pg_sessions(stack)
    cpu_before = groups.sample()
    wall0 = time.monotonic()
    log(f"booting {n} servers: {concurrency} client threads, one token, flavor m1.tiny"
        + (f", paced at {rate:g} POST/s" if rate else ""))
    step = max(1, n // 10)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="boot")
    t_first = time.time()
    try:
        futures = [pool.submit(post, i) for i in range(n)]
        for done, fut in enumerate(as_completed(futures), 1):
            i, t0, t1, sid, err = fut.result()
            post_lat.append(t1 - t0)
            if sid:
                starts[sid] = t0
            else:
                errors.append(err)
            if done % step == 0 or done == n:
                log(f"posted {done}/{n} ({done / (time.time() - t_first):.1f} POST/s, {len(errors)} failed)")
        t_posted = time.time()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    t_first = min(starts.values(), default=t_first)

    # Verify through the API that every accepted server reached ACTIVE (bounded wait).
    s = requests.Session()
    deadline = time.monotonic() + timeout
    launched, status = {}, {}
    last_report = 0.0
    while True:
        servers = {x["id"]: x for x in list_all(s, base, token)}
        status = {sid: servers[sid]["status"] if sid in servers else "MISSING" for sid in starts}
        launched = {sid: _parse_launched(servers[sid]["OS-SRV-USG:launched_at"]) for sid in starts
                    if status[sid] == "ACTIVE"}
        settled = sum(st in ("ACTIVE", "ERROR") for st in status.values())
        if time.monotonic() - last_report > 2 or settled == len(starts):
            log(f"booted {len(launched)}/{n} ACTIVE ({sum(st == 'ERROR' for st in status.values())} ERROR)")
            last_report = time.monotonic()
        if settled == len(starts) or time.monotonic() > deadline:
            break
        time.sleep(0.25)

    cpu = breakdown(cpu_before, groups.sample())
    cpu_wall = time.monotonic() - wall0
    time.sleep(1.5)  # let backends report their stats
    sessions_after = pg_sessions(stack)
    # -1: the count includes the probe connection that reads it
    new_sessions = (sessions_after - sessions_before - 1) if None not in (sessions_before, sessions_after) else None
    latencies = [launched[sid] - starts[sid] for sid in launched]
    t_last = max(launched.values(), default=t_posted)
    others = {}
    for st in status.values():
        if st != "ACTIVE":
            others[st] = others.get(st, 0) + 1
    return {"n": n, "active": len(launched), "not_active": others, "post_errors": errors,
            "latencies": latencies, "post_latencies": post_lat, "elapsed": t_last - t_first,
            "post_elapsed": t_posted - t_first, "cpu": cpu, "cpu_wall": cpu_wall,
            "pg_sessions": new_sessions}


# -------------------------------------------------------------------------------------- lists

def time_get(stack, token: str, path: str, expect: int, runs: int) -> dict:
    s = requests.Session()
    s.headers["X-Auth-Token"] = token
    url = stack.url(path)
    times, size = [], 0
    for i in range(runs + 2):  # two warm-ups: gunicorn has two worker processes
        t0 = time.perf_counter()
        r = s.get(url, timeout=120)
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            raise BenchError(f"GET {path} -> {r.status_code}: {r.text[:300]}")
        got = len(r.json()["servers"])
        if got != expect:
            raise BenchError(f"GET {path} returned {got} servers, expected {expect}")
        size = len(r.content)
        if i >= 2:
            times.append(elapsed)
    return {"median_ms": median(times) * 1000, "min_ms": min(times) * 1000, "max_ms": max(times) * 1000,
            "bytes": size, "runs": runs}


def list_phase(stack, token: str, runs: int, big: int) -> dict:
    out = {}
    default_page = f"{DETAIL}?all_tenants=1"
    page = f"{DETAIL}?all_tenants=1&limit=1000"  # the default page, also once API_MAX_LIMIT is 10000
    own = f"{DETAIL}?limit=1000"  # the admin's own project, where fill puts every server: the project-scoped path
    full_page = f"{DETAIL}?all_tenants=1&limit=10000"

    log("filling the database to 1,000 servers (bulk insert mirroring a booted instance)")
    fill = probe(stack, "fill", "--total", "1000")
    log(f"  inserted {fill['inserted']} rows in {fill['seconds']} s; {fill['total']} live servers")
    log(f"timing GET {default_page} at 1,000 servers ({runs} runs)")
    out["t1k"] = time_get(stack, token, default_page, expect=1000, runs=runs)
    out["q1k"] = probe(stack, "count-list", "--token", token, "--max-limit", "1000", default_page)[default_page]

    log("filling the database to 10,000 servers")
    fill = probe(stack, "fill", "--total", "10000")
    log(f"  inserted {fill['inserted']} rows in {fill['seconds']} s; {fill['total']} live servers")
    log(f"timing GET {default_page} at 10,000 servers, default page cap 1,000 ({runs} runs)")
    out["t10k_page"] = time_get(stack, token, default_page, expect=1000, runs=runs)
    out["q10k_page"] = probe(stack, "count-list", "--token", token, "--max-limit", "1000",
                             default_page)[default_page]
    out["q10k_full"] = probe(stack, "count-list", "--token", token, "--max-limit", "10000", full_page)[full_page]

    deep10k = f"{page}&marker={_marker_at(stack, 8999)}"
    out["t10k_deep"] = time_get(stack, token, deep10k, expect=1000, runs=runs)
    out["t10k_proj"] = time_get(stack, token, own, expect=1000, runs=runs)

    log("restarting the API with API_MAX_LIMIT=10000")
    stack.restart_api(API_MAX_LIMIT=10000)
    log(f"timing GET {full_page} at 10,000 servers ({runs} runs)")
    out["t10k_full"] = time_get(stack, token, full_page, expect=10000, runs=runs)
    log("floor of the 10,000 list: the same rows through a bare cursor + orjson.dumps")
    out["floor10k"] = probe(stack, "list-floor", "--count", "10000")
    if big:
        log(f"filling the database to {big:,} servers")
        fill = probe(stack, "fill", "--total", str(big), timeout=900)
        log(f"  inserted {fill['inserted']} rows in {fill['seconds']} s; {fill['total']} live servers")
        deep = f"{page}&marker={_marker_at(stack, big - 1001)}"
        log(f"timing the first and the last page of 1,000 at {big:,} servers ({runs} runs each)")
        out["tbig_page"] = time_get(stack, token, page, expect=1000, runs=runs)
        out["tbig_deep"] = time_get(stack, token, deep, expect=1000, runs=runs)
        out["tbig_proj"] = time_get(stack, token, own, expect=1000, runs=runs)
        counts = probe(stack, "count-list", "--token", token, "--max-limit", "10000", page, deep)
        out["qbig_page"], out["qbig_deep"] = counts[page], counts[deep]
        out["big"] = fill["total"]
    return out


def _marker_at(stack, offset: int) -> str:
    """The uuid of the server at `offset` in the list's order: the marker of a page deep in the list."""
    conn = psycopg2.connect(stack.database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT uuid FROM compute_instance WHERE vm_state <> 'deleted' "
                        "ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1", [offset])
            return str(cur.fetchone()[0])
    finally:
        conn.close()


# ------------------------------------------------------------------------------ scale in hosts

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
            worker = stack.start_fake_hosts(names)
            stack.wait_until(stack._api_up, timeout=60, what="the API")
            stack.wait_until(lambda: _hosts_up(stack) >= n, timeout=max(120.0, n / 5), interval=1.0,
                             what=f"{n} hosts up")
            # Host rows are up once recovered; the worker consumes their queues a little later.
            bench_floors.noop_round_trip(stack, host=f"sim{n}", timeout=max(120.0, n / 5))
            ready = time.monotonic() - t0
            token = stack.token()
            boots = run_boots(stack, token, args.scale_boots, args.concurrency, max(60.0, args.scale_boots / 5))
            rss = worker_memory(stack)["workers"][0]
            out[str(n)] = {"boots_per_s": boots["active"] / boots["elapsed"], "active": boots["active"],
                           "n": boots["n"], "rss_mib": rss, "ready_s": ready,
                           "worker_cpu_ms": 1000 * boots["cpu"].get("workers", 0.0) / boots["n"]}
            log(f"scale: {n} hosts: {out[str(n)]['boots_per_s']:.1f} boots/s, worker "
                f"{out[str(n)]['worker_cpu_ms']:.1f} CPU ms per boot, RSS {rss:.0f} MiB, ready in {ready:.0f} s")
        finally:
            stack.stop()
    return out, dbs


def _hosts_up(stack) -> int:
    conn = psycopg2.connect(stack.database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM compute_host WHERE last_heartbeat > now() - interval '60 seconds'")
            return cur.fetchone()[0]
    finally:
        conn.close()


# ------------------------------------------------------------------------------------- report

def worker_memory(stack) -> dict:
    """Resident memory (VmRSS) of the API's and each host worker's processes, MiB."""
    def rss(pid: int) -> float:
        kb = _proc_field(f"/proc/{pid}/status", "VmRSS")
        return int(kb.split()[0]) / 1024 if kb else 0.0

    def group(pgid: int) -> float:
        return sum(rss(int(d)) for d in os.listdir("/proc") if d.isdigit() and _pgid(int(d)) == pgid)

    return {"workers": [group(p.pid) for name, p in stack.procs.items() if name.startswith("worker-")],
            "api": group(stack.procs["api"].pid)}


def _pgid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[2])


def scale_rows(scale: dict | None, memory: dict, scale_boots: dict | None) -> list[Row]:
    workers = memory["workers"]
    rows = [info("memory per host worker process (RSS, one host each)",
                 f"{median(workers):.0f} MiB (of {len(workers)}); API (gunicorn, 2 workers) {memory['api']:.0f} MiB")]
    if scale:
        ns = sorted(scale, key=int)
        rows.append(info("placement cost, ms p50 (placement with its claim committed / every host read and "
                         "filtered, the read before the SQL fast path, no claim)",
                         ", ".join(f"{int(n):,} hosts {scale[n]['placement_ms']:.2f} / {scale[n]['full_pass_ms']:.1f}"
                                   for n in ns)))
        if "10" in scale and "1000" in scale:
            rows.append(ratio_at_most("placement cost at 1,000 hosts vs 10 hosts", scale["1000"]["placement_ms"],
                                      scale["10"]["placement_ms"], MAX_PLACEMENT_RATIO, fmt="{:.2f}", unit="ms",
                                      of="10 hosts"))
    if scale_boots:
        ns = sorted(scale_boots, key=int)
        rows.append(info("boots/s with N simulated hosts in one worker process",
                         ", ".join(f"{int(n):,}: {scale_boots[n]['boots_per_s']:.1f} "
                                   f"({scale_boots[n]['active']}/{scale_boots[n]['n']} ACTIVE)" for n in ns)))
        rows.append(info("  that worker's CPU ms per boot",
                         ", ".join(f"{int(n):,}: {scale_boots[n]['worker_cpu_ms']:.1f}" for n in ns)))
        if "4" in scale_boots and "1000" in scale_boots:
            b4, b1k = scale_boots["4"]["boots_per_s"], scale_boots["1000"]["boots_per_s"]
            rows.append(Row("boots/s at 1,000 hosts vs 4 hosts (same worker set-up)",
                            f"{b1k:.1f} vs {b4:.1f} = {100 * (b1k / b4 - 1):+.0f}%", ">= -20%",
                            PASS if b1k >= 0.8 * b4 else FAIL))
        lo, hi = ns[0], ns[-1]
        if int(hi) > int(lo):
            per_host = (scale_boots[hi]["rss_mib"] - scale_boots[lo]["rss_mib"]) / (int(hi) - int(lo))
            rows.append(info("memory per simulated host (worker RSS growth)",
                             f"{1024 * per_host:.0f} KiB ({scale_boots[lo]['rss_mib']:.0f} MiB at {int(lo):,} hosts, "
                             f"{scale_boots[hi]['rss_mib']:.0f} MiB at {int(hi):,})"))
    return rows


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


def floor_rows(floors: dict) -> list[Row]:
    fp, ft, tok, cli = floors["post"], floors["task"], floors["token"], floors["cli"]
    rows = [
        info("FLOOR POST: authenticated DRF POST writing one row (os-keypairs import), p50 / p95",
             f"{fp['p50_ms']:.1f} / {fp['p95_ms']:.1f} ms"),
        info("FLOOR POST: CPU core-ms per POST (8 clients, closed loop)",
             f"{fp['cpu_ms']:.1f}: {_parts(fp['cpu_parts'])} ({fp['rate']:.0f} POST/s)"),
        info("FLOOR task: Celery no-op round trip on the same broker, p50 / p95",
             f"{ft['p50_ms']:.1f} / {ft['p95_ms']:.1f} ms"),
        info("FLOOR task: CPU core-ms per round trip", f"{ft['cpu_ms']:.1f}: {_parts(ft['cpu_parts'])}"),
        info("token issue (password, argon2id), p50 / p95", f"{tok['p50_ms']:.0f} / {tok['p95_ms']:.0f} ms"),
    ]
    if cli:
        rows.append(info("`openstack server list` wall time (vs `openstack --version`)",
                         f"{cli['server_list_s']:.2f} s (vs {cli['version_s']:.2f} s: "
                         f"{cli['server_list_s'] - cli['version_s']:.2f} s for token + list)"))
    return rows


def paced_rows(paced: dict | None, rate: float, floors: dict) -> list[Row]:
    """Latency below saturation, offered open loop (no client queueing in the numbers), against the floor POST."""
    if not paced:
        return []
    label = f"boot-to-ACTIVE p50, open loop at {rate:.0f} boots/s (half saturation)"
    if not paced["latencies"]:
        return [Row(label, "n/a: no server reached ACTIVE", f"<= {MAX_P50_RATIO:g}x", FAIL)]
    lat_ms = [x * 1000 for x in paced["latencies"]]
    return [
        Row(f"servers ACTIVE ({rate:.0f}/s open loop)", f"{paced['active']}/{paced['n']}", "all",
            PASS if paced["active"] == paced["n"] else FAIL),
        ratio_at_most(label, percentile(lat_ms, 50), floors["post"]["p50_ms"], MAX_P50_RATIO, fmt="{:.1f}",
                      unit="ms"),
        info(f"boot-to-ACTIVE p95, open loop at {rate:.0f} boots/s", f"{percentile(lat_ms, 95):.0f} ms"),
    ]


def _parts(parts: dict) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1]) if v >= 0.05)


def build_rows(boots: dict, prof: dict | None, lists: dict | None, floors: dict, paced: dict | None = None,
               paced_rate: float = 0.0) -> list[Row]:
    n = boots["n"]
    rows = floor_rows(floors)
    rows.append(Row("servers ACTIVE", f"{boots['active']}/{n}", "all", PASS if boots["active"] == n else FAIL))
    cpu = boots["cpu"]
    ours = {k: v for k, v in cpu.items() if k not in ("other processes", "idle")}
    floor_cpu = floors["post"]["cpu_ms"] + floors["task"]["cpu_ms"]
    rows.append(ratio_at_most("CPU core-ms per boot (stack + client) vs floor POST + floor task",
                              1000 * sum(ours.values()) / n, floor_cpu, MAX_CPU_RATIO, fmt="{:.1f}"))
    rows.append(info("  CPU core-ms per boot by part", _parts({k: 1000 * v / n for k, v in ours.items()})))
    if boots["latencies"]:
        lat_ms = [x * 1000 for x in boots["latencies"]]
        rows += [
            info("boots/s sustained, closed loop (first POST .. last ACTIVE)",
                 f"{boots['active'] / boots['elapsed']:.1f} (floor POST alone: {floors['post']['rate']:.0f}/s)"),
            # At saturation the latency is mostly the clients' own queue (Little's law).
            info("boot-to-ACTIVE p50 / p95 at saturation",
                 f"{percentile(lat_ms, 50):.0f} / {percentile(lat_ms, 95):.0f} ms"),
        ]
        rows += paced_rows(paced, paced_rate, floors)
    else:
        rows.append(Row("boots/s sustained", "n/a: no server reached ACTIVE", "> 0", FAIL))
    post_ms = [x * 1000 for x in boots["post_latencies"]]
    rows += [info("POST /servers HTTP latency p50 / p95 at saturation",
                  f"{percentile(post_ms, 50):.0f} / {percentile(post_ms, 95):.0f} ms")]
    if boots["pg_sessions"] is not None:
        rows.append(info("PostgreSQL connections opened during boots", f"{boots['pg_sessions']} "
                         f"({boots['pg_sessions'] / n:.2f} per boot)"))
    avail = boots["cpu_wall"] * (os.cpu_count() or 1)
    shares = (sum(ours.values()), cpu["other processes"], cpu["idle"])
    rows.append(info("CPU during boots: stack+client / others / idle",
                     " / ".join(f"{100 * x / avail:.0f}%" for x in shares)))
    if prof:
        pq = [p["queries"] for p in prof["post"]]
        bq = [b["queries"] for b in prof["build"]]
        rows += [info("SQL queries per POST /servers (API, in-process)", _range(pq)),
                 info("SQL queries per build (worker task, in-process)", _range(bq)),
                 info("POST /servers in-process time p50",
                      f"{median([p['ms'] for p in prof['post']]):.1f} ms"),
                 info("build task in-process time p50", f"{median([b['ms'] for b in prof['build']]):.1f} ms")]
    if lists:
        floor = lists["floor10k"]
        rows += [
            info("GET servers/detail, 1,000 servers (1,000 returned)", f"{lists['t1k']['median_ms']:.0f} ms"),
            info("GET servers/detail, 10,000 servers (default page: 1,000 returned)",
                 f"{lists['t10k_page']['median_ms']:.0f} ms"),
            info("FLOOR list: the same 10,000 rows on a bare cursor + orjson.dumps, median",
                 f"{floor['floor_ms']:.0f} ms (fetch {floor['fetch_ms']:.0f}, orjson {floor['orjson_ms']:.0f})"),
            info("GET servers/detail, 10,000 servers (limit=10000: 10,000 returned), median",
                 f"{lists['t10k_full']['median_ms']:.0f} ms"),
            # Fastest against fastest: the least disturbed runs of each on a shared machine.
            ratio_at_most("  the same vs the floor list, fastest run of each", lists["t10k_full"]["min_ms"],
                          floor["min_ms"], MAX_LIST_RATIO),
            info("  the same, in-process (no HTTP)", f"{lists['q10k_full']['in_process_ms']:.0f} ms"),
            info("  response size at 10,000 (full)", f"{lists['t10k_full']['bytes'] / 1e6:.1f} MB "
                 f"(floor's JSON {floor['bytes'] / 1e6:.1f} MB)"),
            info("GET servers/detail, 10,000 servers, the last page of 1,000 (marker)",
                 f"{lists['t10k_deep']['median_ms']:.0f} ms"),
        ]
        queries = {"1k": lists["q1k"]["queries"], "10k page": lists["q10k_page"]["queries"],
                   "10k full": lists["q10k_full"]["queries"]}
        if "tbig_page" in lists:
            big = f"{lists['big']:,}"
            rows += [
                ratio_at_most(f"GET servers/detail, {big} servers, first page of 1,000 vs the same at 10,000",
                              lists["tbig_page"]["median_ms"], lists["t10k_page"]["median_ms"], MAX_BIG_PAGE_RATIO,
                              of="10k"),
                ratio_at_most(f"GET servers/detail, {big} servers, last page of 1,000 vs the same at 10,000",
                              lists["tbig_deep"]["median_ms"], lists["t10k_deep"]["median_ms"], MAX_BIG_PAGE_RATIO,
                              of="10k"),
                ratio_at_most(f"GET servers/detail, {big} servers in one project, its first page vs the same at 10,000",
                              lists["tbig_proj"]["median_ms"], lists["t10k_proj"]["median_ms"], MAX_BIG_PAGE_RATIO,
                              of="10k"),
            ]
            queries.update({f"{big} page": lists["qbig_page"]["queries"],
                            f"{big} last page": lists["qbig_deep"]["queries"]})
        rows.append(all_equal("SQL queries per servers/detail", queries))
    return rows


def _range(values: list[int]) -> str:
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}-{hi} (median {median(values):.0f})"


def print_report(facts, rows, markdown: bool, boots: dict, lists: dict | None, prof: dict | None, verbose: bool):
    print()
    print(format_header(facts))
    print()
    print(format_table(rows))
    print()
    print(summary(rows))
    print("\nboots: " + format_breakdown(boots["cpu"], boots["cpu_wall"]))
    if boots["post_errors"]:
        print(f"\nPOST errors ({len(boots['post_errors'])}), first: {boots['post_errors'][0]}")
    if boots["not_active"]:
        print(f"servers not ACTIVE at the end: {boots['not_active']}")
    if lists:
        counts = {k: lists[k]["queries"] for k in ("q1k", "q10k_page", "q10k_full")}
        if len(set(counts.values())) != 1 or verbose:
            for k in counts:
                print(f"\nSQL of the list ({k}):")
                for q in lists[k]["sql"]:
                    print(f"  {q}")
    if prof and verbose:
        for kind in ("post", "build"):
            print(f"\nSQL of one {kind}:")
            for q in prof[kind][-1]["sql"]:
                print(f"  {q}")
    if markdown:
        print()
        print(format_header(facts, markdown=True))
        print()
        print(format_markdown(rows))


# --------------------------------------------------------------------------------------- main


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
