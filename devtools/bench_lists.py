"""The benchmark's lists (devtools/bench.py): servers/detail timed at 1,000, 10,000 and 100,000 servers (rows
bulk-inserted by devtools/bench_probe.py fill), against the floor list, with its SQL queries counted."""
from __future__ import annotations

import time

import requests

from devtools.bench_report import median
from devtools.bench_stack import DETAIL, BenchError, log, probe, sql_value


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
    return str(sql_value(stack.database_url, "SELECT uuid FROM compute_instance WHERE vm_state <> 'deleted' "
                                             "ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1", [offset]))

