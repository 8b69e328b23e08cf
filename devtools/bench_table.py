"""The benchmark's table (devtools/bench.py): every measurement as a row, each target a ratio to a floor measured in
the same run (devtools/bench_floors.py), and the report around it."""
from __future__ import annotations

import os

from devtools.bench_cpu import format_breakdown
from devtools.bench_report import (FAIL, PASS, Row, all_equal, format_header, format_markdown, format_table, info,
                                   median, percentile, ratio_at_most, summary)

# Targets are ratios to floors measured in the same run (devtools/bench_floors.py): machines differ.
MAX_CPU_RATIO = 3.0    # CPU core-ms per boot <= 3x (floor POST + floor task)
MAX_P50_RATIO = 3.0    # open-loop boot-to-ACTIVE p50 at half the saturation rate <= 3x floor POST p50
MAX_LIST_RATIO = 2.0   # the full 10,000-server list <= 2x its rows read and serialized with orjson alone
MAX_PLACEMENT_RATIO = 2.0  # the scheduler's cost per placement at 1,000 hosts <= 2x at 10 hosts
MAX_BIG_PAGE_RATIO = 1.5  # a page of servers/detail at 100,000 servers <= 1.5x the same page at 10,000


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


def _wall_cpu(runs: list[dict]) -> str:
    return f"{median([r['ms'] for r in runs]):.1f} ms ({median([r['cpu_ms'] for r in runs]):.1f} ms)"


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
                 info("POST /servers in-process time p50 (CPU with its PostgreSQL backend)", _wall_cpu(prof["post"])),
                 info("build task in-process time p50 (CPU with its PostgreSQL backend)", _wall_cpu(prof["build"]))]
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
        queries = {"1k": _page_queries(lists["q1k"]), "10k page": _page_queries(lists["q10k_page"]),
                   "10k full": _page_queries(lists["q10k_full"])}
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
            queries.update({f"{big} page": _page_queries(lists["qbig_page"]),
                            f"{big} last page": _page_queries(lists["qbig_deep"])})
        rows.append(all_equal("SQL queries per servers/detail (besides its ERROR servers' faults)", queries))
    return rows


def _page_queries(q: dict) -> int:
    """A page's queries but the one that reads its ERROR servers' faults (there only if it has any): whether a
    page holds one depends on where the fill put them, not on the page's size."""
    return q["queries"] - (1 if q.get("faulted") else 0)


def _range(values: list[int]) -> str:
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}-{hi} (median {median(values):.0f})"


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
        counts = {k: _page_queries(lists[k]) for k in ("q1k", "q10k_page", "q10k_full")}
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

