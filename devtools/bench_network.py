"""Benchmark of the network service, beside its baseline in the same run, on the same stack:

    python -m devtools.services run --postgres --redis -- python -m devtools.bench_network [--boots 200]

- boots/s with a port per server against boots/s without one. Two projects on one stack: one has a network
  (so each of its boots gets a port on it: Nova picks the only network available), the other has none. Rounds
  alternate between them, so drift (a growing database, a busy machine) falls on both alike. Target: with a
  port >= 80% of without.
- port create: POST /network/v2.0/ports one after another on a /16 (an address and a MAC allocated
  atomically each): p50 and p95 latency, beside the floor POST's p50 (an authenticated DRF POST writing one
  row, devtools/bench_floors.py), for scale.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import requests

from devtools import bench_floors
from devtools.bench_boots import run_boots
from devtools.bench_stack import REPO, BenchError, cpu_groups, drop_databases, log, probe, require_services, start_stack
from devtools.bench_report import Row, at_least, format_table, median, percentile

MIN_PORT_RATIO = 0.8  # boots/s with a port per server >= 80% of boots/s without


def _project_token(stack, user: str, project: str) -> str:
    stack.manage("user_create", user, "--project", project, "--role", "member", USER_PASSWORD=f"{user}-pw")
    return stack.token(user, f"{user}-pw", project)


def _network(stack, token: str, cidr: str) -> str:
    net = stack.post("/network/v2.0/networks", json={"network": {"name": "bench"}}, token=token).json()["network"]
    r = stack.post("/network/v2.0/subnets", json={"subnet": {"network_id": net["id"], "cidr": cidr}}, token=token)
    if r.status_code != 201:
        raise BenchError(f"subnet create failed: {r.text}")
    return net["id"]


def boot_rounds(stack, tokens: dict, boots: int, rounds: int, concurrency: int) -> dict:
    """{label: (servers ACTIVE, seconds, [POST latencies], {part of the stack: CPU seconds})} summed over
    alternating rounds."""
    totals = {label: [0, 0.0, [], defaultdict(float)] for label in tokens}
    per_round = max(1, boots // rounds)
    for r in range(rounds):
        for label, token in (tokens.items() if r % 2 == 0 else reversed(tokens.items())):
            log(f"round {r + 1}/{rounds}: {per_round} boots {label}")
            result = run_boots(stack, token, per_round, concurrency, timeout=max(60.0, per_round / 2))
            if result["post_errors"] or result["not_active"]:
                raise BenchError(f"boots {label}: {result['post_errors'][:3]} {result['not_active']}")
            totals[label][0] += result["active"]
            totals[label][1] += result["elapsed"]
            totals[label][2] += result["post_latencies"]
            for part, seconds in result["cpu"].items():
                totals[label][3][part] += seconds
    return {label: tuple(v) for label, v in totals.items()}


def port_create_latencies(stack, token: str, network_id: str, n: int) -> list[float]:
    session = requests.Session()
    session.headers["X-Auth-Token"] = token
    url = stack.url("/network/v2.0/ports")
    latencies = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = session.post(url, json={"port": {"network_id": network_id}}, timeout=60)
        latencies.append(time.perf_counter() - t0)
        if r.status_code != 201:
            raise BenchError(f"port create failed: HTTP {r.status_code} {r.text[:200]}")
    return latencies


def profile(stack, tokens: dict, network_id: str, count: int) -> dict:
    """{label: bench_probe profile-boot result}: POST /servers and its build in-process, queries and time."""
    out = {}
    for label, token in tokens.items():
        extra = ("--network", network_id) if label == "with a port" else ()
        out[label] = probe(stack, "profile-boot", "--token", token, "--count", str(count), *extra)
    out["port create"] = probe(stack, "profile-port", "--token", tokens["with a port"], "--network", network_id,
                               "--count", str(count))
    return out


def group_size(stack, token: str) -> int:
    """The members of the project's `default` group: its ports in a group (all but the DHCP port), read by pages."""
    members, marker = 0, ""
    while True:
        page = stack.get(f"/network/v2.0/ports?fields=id&fields=security_groups&limit=1000{marker}",
                         token=token).json()["ports"]
        members += sum(1 for p in page if p["security_groups"])
        if len(page) < 1000:
            return members
        marker = f"&marker={page[-1]['id']}"


def big_group(stack, token: str, network_id: str, more: int, count: int, concurrency: int) -> tuple[int, dict]:
    """(members before, bench_probe profile-boot result) with `more` members added to the group first: a build's
    work must not grow with its group's size (its host reads a group's members once, then gets pushes)."""
    before = group_size(stack, token)
    log(f"adding {more} members to a group of {before}")
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda _: port_create_latencies(stack, token, network_id, 1), range(more)))
    return before, probe(stack, "profile-boot", "--token", token, "--count", str(count), "--network", network_id)


def big_group_rows(before: int, more: int, small: dict, big: dict) -> list[Row]:
    def pair(kind: str) -> str:
        return " / ".join(f"{median([x['cpu_ms'] for x in p[kind]]):.1f}" for p in (small, big)) + " ms"

    return [Row(f"  build CPU p50 with a port, group of {before} / {before + more} members", pair("build")),
            Row(f"  POST /servers CPU p50 with a port, group of {before} / {before + more} members", pair("post"))]


def profile_rows(prof: dict | None) -> list[Row]:
    if not prof:
        return []
    p0, p1 = prof["without a port"], prof["with a port"]

    def pair(kind: str, key: str, fmt: str) -> str:
        return " / ".join(fmt.format(median([x[key] for x in p[kind]])) for p in (p0, p1))

    return [Row("  SQL queries per POST /servers without / with a port", pair("post", "queries", "{:.0f}")),
            Row("  SQL queries per build without / with a port", pair("build", "queries", "{:.0f}")),
            Row("  POST /servers in-process p50 without / with a port", pair("post", "ms", "{:.1f}") + " ms"),
            Row("  build in-process p50 without / with a port", pair("build", "ms", "{:.1f}") + " ms"),
            Row("  POST /servers CPU p50 (process + PostgreSQL) without / with a port",
                pair("post", "cpu_ms", "{:.1f}") + " ms"),
            Row("  build CPU p50 (process + PostgreSQL) without / with a port", pair("build", "cpu_ms", "{:.1f}") + " ms"),
            *port_rows(prof.get("port create"))]


def port_rows(prof: dict | None) -> list[Row]:
    """POST /network/v2.0/ports in-process (bench_probe profile-port): queries, time and CPU."""
    if not prof:
        return []
    ports = prof["port"]
    return [Row("  SQL queries per port create", f"{median([p['queries'] for p in ports]):.0f}"),
            Row("  port create in-process p50 / CPU p50 (process + PostgreSQL)",
                f"{median([p['ms'] for p in ports]):.1f} / {median([p['cpu_ms'] for p in ports]):.1f} ms")]


def cpu_rows(boots: dict) -> list[Row]:
    """CPU ms per boot of each part of the stack, without / with a port (the POSTs and the wait for ACTIVE);
    `other processes` and `idle` say how busy the machine was besides."""
    (n0, *_, cpu0), (n1, *_, cpu1) = boots["without a port"], boots["with a port"]
    parts = sorted(set(cpu0) | set(cpu1), key=lambda p: (p in ("other processes", "idle"), -cpu1.get(p, 0.0)))
    return [Row(f"  CPU ms per boot without / with a port: {part}",
                f"{cpu0.get(part, 0.0) * 1000 / n0:.1f} / {cpu1.get(part, 0.0) * 1000 / n1:.1f}") for part in parts]


def rows(boots: dict, ports: list[float], floor_p50: float, prof: dict | None = None) -> list[Row]:
    (n0, s0, post0, _), (n1, s1, post1, _) = boots["without a port"], boots["with a port"]
    rate0, rate1 = n0 / s0, n1 / s1
    return [Row("boots/s without a port", f"{rate0:.1f}"),
            at_least("boots/s with a port per server", rate1, MIN_PORT_RATIO * rate0),
            Row("  ratio", f"{rate1 / rate0:.2f}", f">= {MIN_PORT_RATIO:.2f}"),
            Row("  POST /servers p50 without / with a port",
                f"{median(post0) * 1000:.0f} / {median(post1) * 1000:.0f} ms"),
            Row("port create p50", f"{median(ports) * 1000:.1f} ms"),
            Row("port create p95", f"{percentile(ports, 95) * 1000:.1f} ms"),
            Row("  floor POST p50 (one row)", f"{floor_p50 * 1000:.1f} ms"), *profile_rows(prof), *cpu_rows(boots)]


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m devtools.bench_network", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--boots", type=int, default=200, help="boots per kind, over all rounds (default 200)")
    p.add_argument("--rounds", type=int, default=4, help="alternating rounds (default 4)")
    p.add_argument("--concurrency", type=int, default=8, help="client threads POSTing (default 8)")
    p.add_argument("--ports", type=int, default=200, help="sequential port creates timed (default 200)")
    p.add_argument("--profile-boots", type=int, default=20,
                   help="boots of each kind profiled in-process for queries and time (0: skip)")
    p.add_argument("--verbose", action="store_true",
                   help="print the SQL of a POST and of a build, with a port and without, and of a port create")
    p.add_argument("--port-quota", type=int, default=-1,
                   help="the projects' port quota (QUOTA_PORT; default -1, unlimited; 500 is a new install's: "
                        "a port create then locks its project's row and counts its ports)")
    p.add_argument("--big-group", type=int, default=2000,
                   help="members added to the group before profiling boots with a port again (0: skip)")
    p.add_argument("--conn-max-age", type=int, default=60)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        database_url, redis_url = require_services()
    except BenchError as exc:
        print(f"bench_network: {exc}", file=sys.stderr)
        return 1
    # the stack's processes inherit
    os.environ.update(QUOTA_PORT=str(args.port_quota), QUOTA_NETWORK="-1", QUOTA_SUBNET="-1")
    workdir = REPO / ".run" / f"bench-network-{os.getpid()}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    stack = template = None
    try:
        stack, template = start_stack(args, database_url, redis_url, workdir)
        stack.wait_ready()
        with_port = _project_token(stack, "bench-net", "bench-net")
        without = _project_token(stack, "bench-nonet", "bench-nonet")
        network_id = _network(stack, with_port, "10.128.0.0/16")
        tokens = {"without a port": without, "with a port": with_port}
        boots = boot_rounds(stack, tokens, args.boots, args.rounds, args.concurrency)
        log(f"timing {args.ports} port creates")
        ports = port_create_latencies(stack, with_port, network_id, args.ports)
        floor = bench_floors.floor_post(stack, stack.token(), cpu_groups(stack), n_latency=min(args.ports, 200),
                                        n_cpu=50, concurrency=args.concurrency)["p50_ms"] / 1000
        prof = profile(stack, tokens, network_id, args.profile_boots) if args.profile_boots else None
        table = rows(boots, ports, floor, prof)
        if prof and args.big_group:
            before, big = big_group(stack, with_port, network_id, args.big_group, args.profile_boots, args.concurrency)
            table += big_group_rows(before, args.big_group, prof["with a port"], big)
        print(format_table(table))
        if prof and args.verbose:
            for label in prof:
                for kind in ("post", "build", "port"):
                    if kind in prof[label]:
                        print(f"\nSQL of one {kind} {label}:", *prof[label][kind][-1]["sql"], sep="\n  ")
        return 0
    except (BenchError, AssertionError, OSError, requests.RequestException) as exc:
        print(f"\nbench_network: failed: {exc}", file=sys.stderr)
        if stack is not None:
            print(stack.logs_tail(), file=sys.stderr)
        return 1
    finally:
        if stack is not None:
            stack.stop()
            drop_databases(database_url, [stack.database_url.rsplit("/", 1)[1], template])
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
