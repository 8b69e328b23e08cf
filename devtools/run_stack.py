"""`make run`: the whole local stack in the foreground, Ctrl-C to stop.

Starts an embedded Redis (unless REDIS_URL is set), migrates the database
(SQLite in .run/ unless DATABASE_URL is set), bootstraps the admin user, flavors
and an image, then runs compute workers, the conductor, the API (gunicorn),
Celery beat and Flower, each with its output prefixed and copied to .run/logs/.

Environment: HOSTS (number of simulated hosts, default 2; 1 with libvirt), COMPUTE_DRIVER
(default fake; `libvirt` boots real guests through LIBVIRT_URI, default qemu:///system, whose
virtlogd/libvirtd are started here when none runs), API_HOST (default 127.0.0.1), API_PORT (default 8000),
FLOWER_PORT (default 5555), REDIS_URL, DATABASE_URL, ADMIN_PASSWORD.

As root, the whole stack runs in its own private mount namespace (devtools/in_mount_ns.sh, as
`make test` does): the workers bind-mount exports for volumes, and nothing they mount is seen
outside or outlives the run. A bind export `default` (.run/exports/default) is added at bootstrap.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from devtools.mountns import in_private_mount_namespace
from devtools.services import REPO_ROOT, RUN_DIR, Redis

LOG_DIR = RUN_DIR / "logs"
DEFAULT_EXPORT = RUN_DIR / "exports" / "default"
VENV_BIN = os.path.dirname(sys.executable)  # not resolved: a venv's python is a symlink
API_TIMEOUT = 60
STOP_GRACE = 10

_print_lock = threading.Lock()
STOP = threading.Event()   # first Ctrl-C/SIGTERM: stop gracefully
FORCE = threading.Event()  # second one: SIGKILL without waiting


class Stopped(Exception):
    """Raised in the main thread once a stop was requested."""


def say(line: str) -> None:
    with _print_lock:
        sys.stdout.write(line if line.endswith("\n") else line + "\n")
        sys.stdout.flush()


def tool(name: str) -> str:
    """A console script of the venv we run in (gunicorn, celery), else from PATH."""
    path = os.path.join(VENV_BIN, name)
    if os.access(path, os.X_OK):
        return path
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found in {VENV_BIN} nor on PATH: pip install -r requirements/dev.txt")
    return found


class Child:
    """A child process whose output is prefixed with its name, echoed and logged."""

    def __init__(self, name: str, cmd: list[str], env: dict, hide=None):
        self.name = name
        self.oneshot = False  # migrate/bootstrap: exiting is their job, not a failure
        self.log_path = LOG_DIR / (name.replace(" ", "-") + ".log")
        self.lines: collections.deque[str] = collections.deque(maxlen=200)
        self.hide = hide  # predicate: lines kept in memory but neither echoed nor logged (secrets)
        # Own session: a terminal Ctrl-C reaches only us, so shutdown stays orderly,
        # and killpg() also reaches gunicorn's and celery's own worker processes.
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     bufsize=1, errors="replace", start_new_session=True)
        self.reader = threading.Thread(target=self._pump, name=f"pump {name}", daemon=True)
        self.reader.start()

    def _pump(self) -> None:
        with open(self.log_path, "w") as log:
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                if self.hide and self.hide(line):
                    continue
                log.write(line)
                log.flush()
                say(f"[{self.name}] {line}")

    def tail(self, n: int = 20) -> str:
        lines = [ln for ln in self.lines if not (self.hide and self.hide(ln))]
        return "\n".join(f"    {ln}" for ln in lines[-n:]) or "    (no output)"

    def signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def wait(self) -> int:
        """Wait for exit, abandoning (Stopped) if a stop is requested meanwhile."""
        while self.proc.poll() is None:
            if STOP.wait(0.1):
                raise Stopped
        self.reader.join(5)
        return self.proc.returncode


def stop_all(children: list[Child]) -> None:
    running = [c for c in reversed(children) if c.proc.poll() is None]
    if running:
        say(f"[run] stopping {', '.join(c.name for c in running)}")
    for c in running:
        c.signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    while any(c.proc.poll() is None for c in running) and time.monotonic() < deadline and not FORCE.is_set():
        time.sleep(0.1)
    for c in running:
        if c.proc.poll() is None:
            say(f"[run] {c.name} did not stop within {STOP_GRACE} s: killing it")
            c.signal(signal.SIGKILL)
            c.proc.wait()
    for c in children:
        c.reader.join(2)


def run_step(name: str, cmd: list[str], env: dict, children: list[Child], hide=None) -> Child:
    """A one-shot command (migrate, bootstrap) that must succeed before we go on."""
    child = Child(name, cmd, env, hide)
    child.oneshot = True
    children.append(child)
    code = child.wait()
    if code != 0:
        raise SystemExit(f"[run] {name} failed with exit code {code}:\n{child.tail()}")
    return child


def _credentials_line(line: str) -> dict | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data if isinstance(data, dict) and "admin_password" in data else None


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def wait_for_api(url: str, children: list[Child]) -> None:
    deadline = time.monotonic() + API_TIMEOUT
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # any HTTP status means the server is up
        except (urllib.error.URLError, OSError):
            pass
        check_children(children)
        if STOP.wait(0.5):
            raise Stopped
    raise SystemExit(f"[run] the API did not answer on {url} within {API_TIMEOUT} s")


def check_children(children: list[Child]) -> None:
    for c in children:
        if not c.oneshot and c.proc.poll() is not None:
            c.reader.join(2)  # so the tail includes its last words
            raise SystemExit(f"[run] {c.name} exited unexpectedly (exit code {c.proc.returncode}); "
                             f"last lines of {c.log_path}:\n{c.tail()}")


CLOUDS_YAML = RUN_DIR / "clouds.yaml"


def write_clouds_yaml(api: str, creds: dict) -> Path:
    """A clouds.yaml for the openstack CLI and openstacksdk (cloud `local`); 0600, it holds the password."""
    text = (f"clouds:\n  local:\n    auth:\n      auth_url: {api}identity\n"
            f"      username: {json.dumps(creds['admin_user'])}\n      password: {json.dumps(creds['admin_password'])}\n"
            f"      project_name: {json.dumps(creds.get('admin_project', 'admin'))}\n"
            "      user_domain_name: Default\n      project_domain_name: Default\n"
            "    region_name: RegionOne\n    interface: public\n    identity_api_version: 3\n")
    CLOUDS_YAML.touch(mode=0o600)
    CLOUDS_YAML.write_text(text)
    return CLOUDS_YAML


def banner(api: str, flower: str, redis_url: str, creds: dict) -> str:
    auth = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": creds["admin_user"], "domain": {"id": "default"}, "password": creds["admin_password"]}}},
        "scope": {"project": {"name": creds.get("admin_project", "admin"), "domain": {"id": "default"}}}}}
    curl = (f"curl -si {api}identity/v3/auth/tokens -H 'Content-Type: application/json' "
            f"-d {shlex.quote(json.dumps(auth))} | grep -i '^x-subject-token'")
    rule = "=" * 72
    return "\n".join([
        rule,
        "  Compute platform is up",
        f"  API              {api}",
        f"  Keystone         {api}identity/v3",
        f"  Compute          {api}compute/v2.1",
        f"  Volume           {api}volume/v3/<project id>   (export `default`: {DEFAULT_EXPORT})",
        f"  Admin console    {api}admin/",
        f"  OpenAPI schema   {api}api/schema/   (docs: {api}api/docs/)",
        f"  Flower           {flower}",
        f"  Redis            {redis_url}",
        f"  Admin            user {creds['admin_user']}  password {creds['admin_password']}  "
        f"project {creds.get('admin_project', 'admin')}",
        f"  Logs             {LOG_DIR}/",
        "  Get a token:",
        f"    {curl}",
        "  The openstack CLI / openstacksdk:",
        f"    export OS_CLIENT_CONFIG_FILE={CLOUDS_YAML} OS_CLOUD=local",
        f"    {Path(sys.executable).parent / 'openstack'} server list",
        "  Ctrl-C to stop",
        rule,
    ])


def start_libvirt(env: dict):
    """COMPUTE_DRIVER=libvirt on this machine: a libvirtd must answer at LIBVIRT_URI. Under systemd the
    host's own libvirtd is used as is. Without systemd, one running in another mount namespace is replaced
    by ours, started here (so the exports this run mounts reach QEMU) and stopped at exit. Remote URIs
    are the operator's business."""
    from devtools.libvirt_service import LibvirtService

    uri = env.setdefault("LIBVIRT_URI", "qemu:///system")
    if uri != "qemu:///system":
        say(f"[run] libvirt at {uri} (not started here)")
        return None
    service = LibvirtService(uri).start(reuse_any_namespace=os.path.isdir("/run/systemd/system"))
    say(f"[run] libvirt ready at {uri} (virt type {env.get('LIBVIRT_VIRT_TYPE', 'qemu')}; instances in "
        f"{env.get('INSTANCES_DIR', RUN_DIR / 'instances')})")
    return service


def on_signal(signum, frame) -> None:
    if STOP.is_set():
        FORCE.set()
    STOP.set()


def enter_private_mount_namespace(argv: list[str] | None) -> None:
    """As root, re-run ourselves inside a private mount namespace (unless already in the one made for us):
    volume attaches mount exports, and those mounts must vanish with the run. Not root: mounts fail, so
    say that volumes cannot be attached, and run anyway."""
    if os.geteuid() != 0:
        say("[run] not root: volumes can be created but not attached (mounting an export needs root)")
        return
    if in_private_mount_namespace():
        return
    script = str(REPO_ROOT / "devtools" / "in_mount_ns.sh")
    args = sys.argv[1:] if argv is None else argv
    os.execvp("sh", ["sh", script, sys.executable, "-m", "devtools.run_stack", *args])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.run_stack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    # libvirt: every host's worker would report the same machine's capacity, so one host by default
    default_hosts = "1" if os.environ.get("COMPUTE_DRIVER") == "libvirt" else "2"
    parser.add_argument("--hosts", type=int, default=int(os.environ.get("HOSTS", default_hosts)),
                        help="number of simulated compute hosts (env HOSTS, default 2)")
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", "8000")))
    parser.add_argument("--flower-port", type=int, default=int(os.environ.get("FLOWER_PORT", "5555")))
    args = parser.parse_args(argv)
    if not (REPO_ROOT / "manage.py").exists():
        raise SystemExit(f"{REPO_ROOT / 'manage.py'} not found")
    enter_private_mount_namespace(argv)

    api_host = os.environ.get("API_HOST", "127.0.0.1")
    # Where we (and the user) reach the API: a wildcard bind is reachable on loopback.
    reach_host = "127.0.0.1" if api_host in ("0.0.0.0", "", "::") else api_host
    for what, port in (("API", args.api_port), ("Flower", args.flower_port)):
        if port_in_use("127.0.0.1" if what == "Flower" else reach_host, port):
            raise SystemExit(f"[run] port {port} for {what} is already in use (another `make run`?)")

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)

    children: list[Child] = []
    redis: Redis | None = None
    libvirtd = None
    python = sys.executable
    try:
        env = dict(os.environ, PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="compute_platform.settings")
        env.setdefault("COMPUTE_DRIVER", "fake")
        if env["COMPUTE_DRIVER"] == "libvirt":
            libvirtd = start_libvirt(env)
        if "REDIS_URL" not in env:
            redis = Redis(RUN_DIR).start()
            env["REDIS_URL"] = redis.url
            say(f"[run] redis ready at {redis.url} ({redis.startup_seconds:.1f} s)")
        say(f"[run] database: {env.get('DATABASE_URL', 'sqlite (.run/db.sqlite3)')}")

        hosts = [f"node{i}" for i in range(1, args.hosts + 1)]
        run_step("migrate", [python, "manage.py", "migrate", "--noinput"], env, children)
        boot = run_step("bootstrap", [python, "manage.py", "bootstrap"], env,
                        children, hide=_credentials_line)
        creds = next((c for c in map(_credentials_line, reversed(boot.lines)) if c), None)
        if creds is None:
            raise SystemExit(f"[run] bootstrap printed no credentials JSON line:\n{boot.tail()}")
        DEFAULT_EXPORT.mkdir(parents=True, exist_ok=True)
        run_step("export", [python, "manage.py", "export_create", "default", str(DEFAULT_EXPORT), "--fstype",
                            "bind", "--if-missing"], env, children)

        for host in hosts:
            children.append(Child(f"worker {host}", [python, "manage.py", "compute_worker", "--host", host], env))
        # The conductor also consumes `volume`: it makes and removes volume files on the exports.
        children.append(Child("conductor", [python, "manage.py", "compute_worker", "--conductor"], env))
        children.append(Child("api", [
            tool("gunicorn"), "compute_platform.wsgi:application", "--bind", f"{api_host}:{args.api_port}",
            "--workers", "2", "--threads", "4", "--worker-class", "gthread", "--access-logfile", "-",
            # gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl, shared with any other gunicorn here.
            "--no-control-socket"], env))
        children.append(Child("beat", [tool("celery"), "-A", "compute_platform", "beat", "--loglevel", "INFO",
                                       "--schedule", str(RUN_DIR / "celerybeat-schedule")], env))
        # Flower reads FLOWER_* options from its environment: the password stays out of `ps`.
        flower_env = dict(env, FLOWER_BASIC_AUTH=f"{creds['admin_user']}:{creds['admin_password']}")
        children.append(Child("flower", [
            tool("celery"), "-A", "compute_platform", "flower", f"--port={args.flower_port}",
            "--address=127.0.0.1"], flower_env))

        api = f"http://{reach_host}:{args.api_port}/"
        wait_for_api(api, children)
        write_clouds_yaml(api, creds)
        say(banner(api, f"http://127.0.0.1:{args.flower_port}/", env["REDIS_URL"], creds))

        while not STOP.wait(0.5):
            check_children(children)
        return 0
    except Stopped:
        return 0
    except SystemExit as e:  # our own fatal errors: report, then clean up in finally
        if isinstance(e.code, str):
            say(e.code)
            return 1
        raise
    finally:
        stop_all(children)
        if redis is not None:
            redis.stop()
        if libvirtd is not None:
            libvirtd.stop()
        say("[run] stopped")


if __name__ == "__main__":
    sys.exit(main())
