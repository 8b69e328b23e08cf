"""In-process probes for devtools.bench, run as a subprocess against a live stack's database:

    DATABASE_URL=... python -m devtools.bench_probe fill --total 10000
    DATABASE_URL=... python -m devtools.bench_probe count-list --token T --max-limit 1000 PATH...
    DATABASE_URL=... COMPUTE_HOST=bench1 python -m devtools.bench_probe profile-boot --token T --count 20
    DATABASE_URL=... python -m devtools.bench_probe profile-port --token T --network N --count 20
    DATABASE_URL=... python -m devtools.bench_probe list-floor --count 10000
    DATABASE_URL=... python -m devtools.bench_probe place --hosts 10 100 1000 10000 --count 200

Each prints one JSON object on its last stdout line. A subprocess, because the benchmark itself
must not import Django settings (it talks to the stack over HTTP, as a client would).
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compute_platform.settings")


def _setup():
    import django

    django.setup()


def _sql(queries) -> list[str]:
    return [q["sql"][:160] for q in queries]


# ------------------------------------------------------------------------------------------- fill

def fill(total: int, batch: int = 2000) -> dict:
    """Top the live (not deleted) instances up to `total` with bulk-inserted rows that mirror a real
    booted instance of the stack (same flavor, image, project, user; hosts round-robin), claims
    included. A realistic mix: ~1% ERROR with a fault (so the fault query runs), ~5% SHUTOFF."""
    from django.db import connection, transaction
    from django.db.models import Sum
    from django.utils import timezone

    from compute_platform.compute.models import Host, Instance, InstanceFault
    from compute_platform.compute.states import PowerState, VmState

    live = Instance.objects.exclude(vm_state=VmState.DELETED)
    have = live.count()
    model = live.filter(vm_state=VmState.ACTIVE, launched_at__isnull=False).order_by("id").first()
    if model is None:
        raise SystemExit("fill: no ACTIVE instance to mirror (boot at least one first)")
    hosts = list(Host.objects.order_by("name"))
    need = max(0, total - have)
    now = timezone.now()
    rows, error_idx = [], []
    for i in range(need):
        state, power, launched = VmState.ACTIVE, PowerState.RUNNING, now
        if i % 100 == 99:
            state, power, launched = VmState.ERROR, PowerState.NOSTATE, None
            error_idx.append(i)
        elif i % 20 == 7:
            state, power = VmState.STOPPED, PowerState.SHUTDOWN
        rows.append(Instance(
            uuid=uuid.uuid4(), name=f"bench-fill-{have + i}", project_id=model.project_id, user_id=model.user_id,
            flavor_id=model.flavor_id, image_id=model.image_id, host=hosts[i % len(hosts)],
            availability_zone=model.availability_zone, vcpus=model.vcpus, memory_mb=model.memory_mb,
            root_gb=model.root_gb, vm_state=state, task_state=None, power_state=power,
            resources_claimed=state != VmState.ERROR, metadata=dict(model.metadata), key_name=model.key_name,
            launched_at=launched))
    t0 = time.monotonic()
    with transaction.atomic():
        created = Instance.objects.bulk_create(rows, batch_size=batch)  # PostgreSQL returns the ids
        InstanceFault.objects.bulk_create(
            [InstanceFault(instance_id=created[i].id, code=500, message="No valid host was found.",
                           details="bench: synthetic fault", host="") for i in error_idx], batch_size=batch)
        # Keep each host's claim counters equal to the claims its instances hold.
        for h in hosts:
            used = Instance.objects.filter(host=h, resources_claimed=True).aggregate(
                v=Sum("vcpus"), m=Sum("memory_mb"), d=Sum("root_gb"))
            Host.objects.filter(pk=h.pk).update(vcpus_used=used["v"] or 0, memory_mb_used=used["m"] or 0,
                                                disk_gb_used=used["d"] or 0)
    with connection.cursor() as cur:
        # Fresh planner statistics, as autovacuum would have gathered on a server that grew slowly.
        cur.execute("ANALYZE compute_instance")
        cur.execute("ANALYZE compute_instancefault")
        cur.execute("ANALYZE compute_host")
    return {"had": have, "inserted": need, "total": live.count(), "errors": len(error_idx),
            "seconds": round(time.monotonic() - t0, 3)}


# ------------------------------------------------------------------------------------- count-list

def count_list(token: str, max_limit: int, paths: list[str]) -> dict:
    """SQL queries issued by each GET, in-process through Django's test Client (the same view code
    gunicorn runs). Each path runs twice; the second, warm run is reported."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_X_AUTH_TOKEN=token)
    out = {}
    # BENCH_CPROFILE=FILE: also write a cProfile of the warm runs to FILE.list-<limit>.
    profiler = cProfile.Profile() if os.environ.get("BENCH_CPROFILE") else None
    with override_settings(API_MAX_LIMIT=max_limit, ALLOWED_HOSTS=["*"]):
        for path in paths:
            runs = []
            for i in range(2):
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    if profiler and i:
                        profiler.enable()
                    resp = client.get(path)
                    if profiler and i:
                        profiler.disable()
                    elapsed = time.perf_counter() - t0
                body = resp.json() if resp.status_code == 200 else {}
                servers = body.get("servers", [])
                runs.append({"status": resp.status_code, "queries": len(ctx.captured_queries),
                             "servers": len(servers), "in_process_ms": round(elapsed * 1000, 1),
                             # a page with ERROR servers reads their faults (one more query, whatever their number)
                             "faulted": sum(1 for s in servers if s.get("status") == "ERROR"),
                             "sql": _sql(ctx.captured_queries)})
            out[path] = dict(runs[-1], first_run_queries=runs[0]["queries"])
    if profiler:
        profiler.dump_stats(f"{os.environ['BENCH_CPROFILE']}.list-{max_limit}")
    return out


# ------------------------------------------------------------------------------------------ place

def place(hosts: list[int], count: int) -> dict:
    """The scheduler's cost per placement with N hosts: for each N, that many host rows with fresh
    heartbeats (the stack's own hosts disabled meanwhile), then `count` placements (schedule_and_claim and
    its claim, each committed as a boot's is) timed one by one; also the full pass (every host read and
    filtered in Python, as a placement did before the SQL fast path), for comparison. The stack's hosts are
    re-enabled and the added ones deleted afterwards."""
    from django.db import connection, transaction
    from django.utils import timezone

    from compute_platform.compute.models import Host
    from compute_platform.compute.scheduler.claims import host_states, schedule_and_claim
    from compute_platform.compute.scheduler.filters import RequestSpec, filter_hosts
    from compute_platform.compute.scheduler.weighers import weigh_hosts

    own = list(Host.objects.filter(enabled=True).values_list("id", flat=True))
    spec = RequestSpec(instance_uuid="00000000-0000-0000-0000-000000000000", project_id="p", vcpus=1,
                       memory_mb=512, root_gb=1)
    out = {}
    try:
        Host.objects.filter(id__in=own).update(enabled=False)
        for n in hosts:
            now = timezone.now()
            Host.objects.bulk_create([Host(name=f"scale-{i:05d}", vcpus=64, memory_mb=262144, disk_gb=4096,
                                           last_heartbeat=now) for i in range(n)], batch_size=5000)
            with connection.cursor() as cur:
                cur.execute("ANALYZE compute_host")
            fast = []
            for i in range(count + 5):
                t0 = time.perf_counter()
                with transaction.atomic():
                    schedule_and_claim(spec=spec)
                fast.append(time.perf_counter() - t0)
            full = []
            for _ in range(max(3, count // 10)):
                t0 = time.perf_counter()
                weigh_hosts(filter_hosts(host_states(), spec)[0], spec)
                full.append(time.perf_counter() - t0)
            fast = sorted(fast[5:])
            out[str(n)] = {"placement_ms": 1000 * fast[len(fast) // 2],
                           "full_pass_ms": 1000 * sorted(full)[len(full) // 2]}
            Host.objects.filter(name__startswith="scale-").delete()
    finally:
        Host.objects.filter(name__startswith="scale-").delete()
        Host.objects.filter(id__in=own).update(enabled=True)
    return out


# ------------------------------------------------------------------------------------- list-floor

def list_floor(count: int, runs: int = 5) -> dict:
    """The floor of a list of `count` servers: the same rows, columns and order as instance_list's query,
    through a bare cursor, and those rows serialized with orjson alone.
    Medians of `runs`, after one warm-up; with the garbage collector paused, as the list builds its rows."""
    import orjson
    from django.db import connection

    from api.common.gcpause import gc_paused

    from compute_platform.compute.models import Instance
    from compute_platform.compute.selectors import SERVER_ROW_COLUMNS
    from compute_platform.compute.states import VmState

    # The rows as stored: the list's columns, its uuids, JSON and timestamps as the database keeps them (the
    # list reads those through selectors._server_row_expressions, formatted or as JSON text).
    columns = (*SERVER_ROW_COLUMNS, "uuid", "image_id", "server_group__uuid", "metadata", "flavor__extra_specs",
               "trusted_certs", "scheduler_hints", "created_at", "updated_at", "launched_at", "terminated_at")
    qs = (Instance.objects.exclude(vm_state=VmState.DELETED).order_by("-created_at", "-id")
          .values(*columns)[:count])
    sql, params = qs.query.sql_with_params()
    fetch, dumps, size = [], [], 0
    for i in range(runs + 1):
        with gc_paused():
            t0 = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute(sql, params)
                rows = [dict(zip(columns, r)) for r in cur.fetchall()]
            t1 = time.perf_counter()
            body = orjson.dumps({"servers": rows})
            t2 = time.perf_counter()
        if i:
            fetch.append(t1 - t0)
            dumps.append(t2 - t1)
        size = len(body)
    fetch_ms, dumps_ms = 1000 * sorted(fetch)[runs // 2], 1000 * sorted(dumps)[runs // 2]
    return {"rows": len(rows), "fetch_ms": round(fetch_ms, 1), "orjson_ms": round(dumps_ms, 1),
            "floor_ms": round(fetch_ms + dumps_ms, 1), "min_ms": round(1000 * min(map(sum, zip(fetch, dumps))), 1),
            "bytes": size}


# ----------------------------------------------------------------------------------- profile-boot

def _cpu_ns(connection) -> int:
    """CPU time so far of this process plus its PostgreSQL backend's (from the kernel's schedstat, in ns): what
    a step costs the machine, whatever else runs beside it (wall time on a shared machine mostly measures
    the others). The backend's pid is asked first, outside the step (its one query not counted)."""
    if connection.vendor != "postgresql":
        return time.process_time_ns()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        backend = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):  # another machine's server, or no schedstat: this process only
        backend = 0
    return time.process_time_ns() + backend


def profile_boot(token: str, count: int, flavor: str, network: str | None = None) -> dict:
    """Where a boot's work goes: POST /servers in-process (queries, time) with the Celery send
    captured instead of sent, then the compute manager's build for that instance, run right here as
    the host's worker would run it (same driver state dir, same locks, real database). With `network`,
    each server asks for a port on it (`networks: [{uuid}]`)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from compute_platform.celery import app
    from compute_platform.images.models import Image
    from tasks import manager, runtime

    sent = []
    app.send_task = lambda name, kwargs=None, queue=None, **kw: sent.append((name, kwargs, queue))
    client = Client(HTTP_X_AUTH_TOKEN=token)
    image = str(Image.objects.filter(status="active").order_by("created_at").values_list("id", flat=True)[0])
    post, build = [], []
    # BENCH_CPROFILE=FILE: also write a cProfile of the POSTs there, and of the builds to FILE.build (`make bench`
    # passes the environment on).
    profiler = cProfile.Profile() if os.environ.get("BENCH_CPROFILE") else None
    build_profiler = cProfile.Profile() if profiler else None
    with override_settings(ALLOWED_HOSTS=["*"]):
        for i in range(count):
            body = {"server": {"name": f"bench-profile-{i}", "imageRef": image, "flavorRef": flavor}}
            if network:
                body["server"]["networks"] = [{"uuid": network}]
            sent.clear()
            cpu0 = _cpu_ns(connection)
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                if profiler:
                    profiler.enable()
                resp = client.post("/compute/v2.1/servers", data=json.dumps(body), content_type="application/json")
                if profiler:
                    profiler.disable()
                post_s = time.perf_counter() - t0
            if resp.status_code != 202 or len(sent) != 1:
                raise SystemExit(f"profile POST failed: {resp.status_code} {resp.content[:300]!r} sent={sent}")
            post.append({"queries": len(ctx.captured_queries), "ms": post_s * 1000, "sql": _sql(ctx.captured_queries),
                         "cpu_ms": (_cpu_ns(connection) - cpu0) / 1e6})
            name, kwargs, queue = sent[0]
            # The build must run as the host it was placed on (its driver, its lock files).
            runtime.host_set(queue.split(".", 1)[1])
            cpu0 = _cpu_ns(connection)
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                if build_profiler:
                    build_profiler.enable()
                manager.build_instance(**kwargs)
                if build_profiler:
                    build_profiler.disable()
                build_s = time.perf_counter() - t0
            build.append({"queries": len(ctx.captured_queries), "ms": build_s * 1000,
                          "sql": _sql(ctx.captured_queries), "cpu_ms": (_cpu_ns(connection) - cpu0) / 1e6})
    if profiler:
        profiler.dump_stats(os.environ["BENCH_CPROFILE"])
        build_profiler.dump_stats(os.environ["BENCH_CPROFILE"] + ".build")
    return {"post": post, "build": build}


def profile_port(token: str, network: str, count: int) -> dict:
    """POST /network/v2.0/ports in-process, one after another on `network`: queries, time and CPU (this process
    plus its PostgreSQL backend) of each. BENCH_CPROFILE=FILE: a cProfile of them in FILE.port."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_X_AUTH_TOKEN=token)
    profiler = cProfile.Profile() if os.environ.get("BENCH_CPROFILE") else None
    body = json.dumps({"port": {"network_id": network}})
    out = []
    with override_settings(ALLOWED_HOSTS=["*"]):
        for _ in range(count):
            cpu0 = _cpu_ns(connection)
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                if profiler:
                    profiler.enable()
                resp = client.post("/network/v2.0/ports", data=body, content_type="application/json")
                if profiler:
                    profiler.disable()
                seconds = time.perf_counter() - t0
            if resp.status_code != 201:
                raise SystemExit(f"profile port create failed: {resp.status_code} {resp.content[:300]!r}")
            out.append({"queries": len(ctx.captured_queries), "ms": seconds * 1000, "sql": _sql(ctx.captured_queries),
                        "cpu_ms": (_cpu_ns(connection) - cpu0) / 1e6})
    if profiler:
        profiler.dump_stats(os.environ["BENCH_CPROFILE"] + ".port")
    return {"port": out}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.bench_probe")
    sub = parser.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fill")
    f.add_argument("--total", type=int, required=True)
    c = sub.add_parser("count-list")
    c.add_argument("--token", required=True)
    c.add_argument("--max-limit", type=int, required=True)
    c.add_argument("paths", nargs="+")
    pl = sub.add_parser("place")
    pl.add_argument("--hosts", type=int, nargs="+", required=True)
    pl.add_argument("--count", type=int, default=200)
    lf = sub.add_parser("list-floor")
    lf.add_argument("--count", type=int, required=True)
    p = sub.add_parser("profile-boot")
    p.add_argument("--token", required=True)
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--flavor", default="1")
    p.add_argument("--network", help="a network's id: each server gets a port on it")
    pp = sub.add_parser("profile-port")
    pp.add_argument("--token", required=True)
    pp.add_argument("--network", required=True)
    pp.add_argument("--count", type=int, default=20)
    args = parser.parse_args(argv)
    _setup()
    if args.cmd == "fill":
        result = fill(args.total)
    elif args.cmd == "place":
        result = place(args.hosts, args.count)
    elif args.cmd == "list-floor":
        result = list_floor(args.count)
    elif args.cmd == "count-list":
        result = count_list(args.token, args.max_limit, args.paths)
    elif args.cmd == "profile-port":
        result = profile_port(args.token, args.network, args.count)
    else:
        result = profile_boot(args.token, args.count, args.flavor, args.network)
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
