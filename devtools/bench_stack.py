"""The benchmark's stack and environment (devtools/bench.py): the throwaway services, the stack it starts, which
processes are which part of it, and the in-process probes (devtools/bench_probe.py) run against its database."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg2

from devtools.bench_cpu import Groups

REPO = Path(__file__).resolve().parent.parent
HOSTS = ["bench1", "bench2", "bench3", "bench4"]
DETAIL = "/compute/v2.1/servers/detail"
# Generous fake capacity: 10,000+ m1.tiny servers fit on 4 hosts with room to spare.
HOST_CAPACITY = {"FAKE_HOST_VCPUS": 65536, "FAKE_HOST_MEMORY_MB": 67108864, "FAKE_HOST_DISK_GB": 1048576}


class BenchError(RuntimeError):
    """The benchmark could not run (as opposed to: it ran and a target was missed)."""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


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


def sql_value(database_url: str, sql: str, params=()):
    """The first column of the first row of one query, on a connection of its own."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]
    finally:
        conn.close()


def machine_facts(database_url: str, redis_url: str) -> list[tuple[str, str]]:
    ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem_kb = _proc_field("/proc/meminfo", "MemTotal")
    ram = f"{int(mem_kb.split()[0]) / 1024 / 1024:.1f} GiB" if mem_kb else "?"
    pg = sql_value(database_url, "SHOW server_version")
    import redis

    rv = redis.Redis.from_url(redis_url).info("server").get("redis_version", "?")
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return [("date (UTC)", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")),
            ("load average at start", f"{load} (1/5/15 min; other work on the machine skews results)"),
            ("machine", f"nproc {ncpu}, {_proc_field('/proc/cpuinfo', 'model name') or platform.processor()}, "
                        f"RAM {ram}"),
            ("software", f"Python {platform.python_version()}, PostgreSQL {pg}, Redis {rv}")]


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
        backend = sql_value(stack.database_url, "SELECT pg_backend_pid()")
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
        return int(sql_value(stack.database_url,
                             "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"))
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

