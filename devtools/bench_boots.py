"""The benchmark's boots (devtools/bench.py): the floors, then servers POSTed by client threads (closed loop, or
open loop at a rate) and followed to ACTIVE through the API, with the CPU each part of the stack spent."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timezone

import requests

from devtools import bench_floors
from devtools.bench_cpu import breakdown
from devtools.bench_stack import DETAIL, HOSTS, BenchError, cpu_groups, log, pg_sessions


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

