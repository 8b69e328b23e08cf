"""The floors `make bench` measures on the same stack and machine, so every figure is a ratio to them:

- floor POST: an authenticated DRF POST that writes one row (os-keypairs import of a public key:
  token check, one INSERT, the user's quota lock), as fast as the same clients can go;
- floor task: a Celery no-op task (tasks/noop.py) round trip through the same broker to a host worker
  and back through the result backend;
- the token and the CLI: a password token issue, and `openstack server list` beside `openstack --version`.

CPU core-ms per operation is counted like the boots' (devtools/bench_cpu.py): API, workers, PostgreSQL,
Redis and the benchmark client itself.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from devtools.bench_cpu import breakdown
from devtools.bench_report import median, percentile

TOKENS = "/identity/v3/auth/tokens"
KEYPAIRS = "/compute/v2.1/os-keypairs"


def _cpu_ms_per_op(before: dict, after: dict, n: int) -> tuple[float, dict]:
    cpu = breakdown(before, after)
    ours = {k: v for k, v in cpu.items() if k not in ("other processes", "idle")}
    return 1000 * sum(ours.values()) / n, {k: 1000 * v / n for k, v in ours.items()}


def _public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def floor_post(stack, token: str, groups, *, n_latency: int, n_cpu: int, concurrency: int) -> dict:
    """Latency p50 one request at a time (nothing queued), CPU per POST from a closed loop of
    `concurrency` clients (as the boots are run)."""
    url, public_key = stack.url(KEYPAIRS), _public_key()
    local = threading.local()

    def post(name: str) -> float:
        if not hasattr(local, "s"):
            local.s = requests.Session()
            local.s.headers["X-Auth-Token"] = token
        t0 = time.perf_counter()
        r = local.s.post(url, json={"keypair": {"name": name, "public_key": public_key}}, timeout=60)
        elapsed = time.perf_counter() - t0
        if r.status_code not in (200, 201):
            raise RuntimeError(f"floor POST {KEYPAIRS} -> {r.status_code}: {r.text[:300]}")
        return elapsed

    for i in range(5):  # warm both gunicorn workers' connections
        post(f"floor-warm-{i}")
    lat = [post(f"floor-seq-{i}") for i in range(n_latency)]
    before = groups.sample()
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        conc = list(pool.map(post, (f"floor-conc-{i}" for i in range(n_cpu))))
    wall = time.monotonic() - t0
    cpu_ms, parts = _cpu_ms_per_op(before, groups.sample(), n_cpu)
    return {"p50_ms": 1000 * median(lat), "p95_ms": 1000 * percentile(lat, 95), "cpu_ms": cpu_ms,
            "cpu_parts": parts, "rate": n_cpu / wall, "p50_loaded_ms": 1000 * median(conc)}


def floor_task(stack, groups, *, host: str, n: int) -> dict:
    """A no-op task to `compute.<host>` and its result back, one at a time: latency and CPU per round trip."""
    from celery import Celery

    from compute_platform import tasknames

    app = Celery(broker=stack.redis_url, backend=stack.redis_url)
    try:
        def once() -> float:
            t0 = time.perf_counter()
            app.send_task(tasknames.NOOP, queue=tasknames.host_queue(host)).get(timeout=30)
            return time.perf_counter() - t0

        for _ in range(5):
            once()
        before = groups.sample()
        lat = [once() for _ in range(n)]
        cpu_ms, parts = _cpu_ms_per_op(before, groups.sample(), n)
    finally:
        app.close()
    return {"p50_ms": 1000 * median(lat), "p95_ms": 1000 * percentile(lat, 95), "cpu_ms": cpu_ms,
            "cpu_parts": parts}


def noop_round_trip(stack, *, host: str, timeout: float) -> None:
    """Wait until `host`'s queue is consumed: a no-op task there and back (a worker is ready to take boots)."""
    from celery import Celery

    from compute_platform import tasknames

    app = Celery(broker=stack.redis_url, backend=stack.redis_url)
    try:
        app.send_task(tasknames.NOOP, queue=tasknames.host_queue(host)).get(timeout=timeout)
    finally:
        app.close()


def token_issue(stack, *, n: int) -> dict:
    """Password token issue (argon2id verify + token row), one at a time."""
    from tests.integration.stack import ADMIN_PASSWORD

    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    s = requests.Session()
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = s.post(stack.url(TOKENS), json=body, timeout=60)
        lat.append(time.perf_counter() - t0)
        if r.status_code != 201:
            raise RuntimeError(f"token issue -> {r.status_code}: {r.text[:300]}")
    return {"p50_ms": 1000 * median(lat), "p95_ms": 1000 * percentile(lat, 95)}


def cli_times(stack, *, runs: int) -> dict | None:
    """Wall time of `openstack server list` (a password token, then the list) beside `openstack --version`
    (the CLI's own start-up), median of `runs`. None when the CLI is not installed."""
    from tests.integration.clouds import CLOUD, write_clouds_yaml

    cli = Path(sys.executable).parent / "openstack"
    if not cli.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        clouds = write_clouds_yaml(stack, Path(tmp) / "clouds.yaml")
        env = dict(stack.env, OS_CLIENT_CONFIG_FILE=str(clouds), OS_CLOUD=CLOUD)

        def wall(*args: str) -> float:
            t0 = time.perf_counter()
            subprocess.run([str(cli), *args], env=env, check=True, capture_output=True, timeout=120)
            return time.perf_counter() - t0

        version = [wall("--version") for _ in range(runs)]
        listing = [wall("server", "list") for _ in range(runs)]
    return {"version_s": median(version), "server_list_s": median(listing)}
