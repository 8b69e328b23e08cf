"""`make run`: the whole local stack in the foreground, Ctrl-C to stop.

Starts an embedded Redis (unless REDIS_URL is set), migrates the database
(SQLite in .run/ unless DATABASE_URL is set), bootstraps the admin user, flavors
and an image, then runs compute workers, the conductor, the API (gunicorn),
Celery beat and Flower, each with its output prefixed and copied to this run's .run/logs/<start time>/
(.run/logs/latest). Once the API answers, a child that dies (the embedded Redis included) is restarted
with backoff while the others run on (devtools/supervisor.py).

Environment: HOSTS (number of simulated hosts, default 2; 1 with libvirt), COMPUTE_DRIVER
(default fake; `libvirt` boots real guests through LIBVIRT_URI, default qemu:///system, whose
virtlogd/libvirtd are started here when none runs), API_HOST (default 127.0.0.1), API_PORT (default 8000),
FLOWER_PORT (default 5555), SERIAL_PROXY_PORT (default 6083), REDIS_URL, DATABASE_URL, ADMIN_PASSWORD, SECRET_KEY (else .run/secret-key).

As root, the whole stack runs in its own private mount namespace (devtools/in_mount_ns.sh, as
`make test` does): the workers bind-mount exports for volumes, and nothing they mount is seen
outside or outlives the run. A bind export `default` (.run/exports/default) is added at bootstrap.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from devtools.mountns import in_private_mount_namespace
from devtools.services import REPO_ROOT, RUN_DIR, Redis
from devtools.supervisor import STOP, Child, RedisChild, Stopped, on_signal, say, stop_all, supervise, wait

LOGS = RUN_DIR / "logs"
LOG_DIR = LOGS / "latest"  # a symlink to this run's folder, LOGS/<start time>
KEEP_RUN_LOGS = 10
SECRET_KEY_FILE = RUN_DIR / "secret-key"
SQLITE_DB = RUN_DIR / "db.sqlite3"
DEFAULT_EXPORT = RUN_DIR / "exports" / "default"
VENV_BIN = os.path.dirname(sys.executable)  # not resolved: a venv's python is a symlink
API_TIMEOUT = 60
GUNICORN_CONF = str(REPO_ROOT / "compute_platform" / "gunicorn.conf.py")


def tool(name: str) -> str:
    """A console script of the venv we run in (gunicorn, celery), else from PATH."""
    path = os.path.join(VENV_BIN, name)
    if os.access(path, os.X_OK):
        return path
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found in {VENV_BIN} nor on PATH: pip install -r requirements/dev.txt")
    return found


def child(name: str, cmd: list[str], env: dict, hide=None) -> Child:
    return Child(name, cmd, env, cwd=REPO_ROOT, log_dir=LOG_DIR, hide=hide)


def run_step(name: str, cmd: list[str], env: dict, children: list[Child], hide=None) -> Child:
    """A one-shot command (migrate, bootstrap) that must succeed before we go on."""
    step = child(name, cmd, env, hide)
    step.oneshot = True
    children.append(step)
    code = wait(step)
    if code != 0:
        raise SystemExit(f"[run] {name} failed with exit code {code}:\n{step.tail()}")
    return step


def new_log_dir(now: float | None = None) -> Path:
    """This run's log folder, LOGS/<start time>, with LOGS/latest pointing at it; the oldest runs' folders
    beyond KEEP_RUN_LOGS are removed. 0700: logs can hold request details."""
    LOGS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    folder = LOGS / stamp
    n = 1
    while folder.exists():  # two runs in one second
        n += 1
        folder = LOGS / f"{stamp}.{n}"
    folder.mkdir(mode=0o700)
    tmp = LOGS / ".latest"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(folder.name)
    tmp.replace(LOG_DIR)  # atomic: `latest` always points at a whole run
    runs = sorted(p for p in LOGS.iterdir() if p.is_dir() and not p.is_symlink())
    for old in runs[:-KEEP_RUN_LOGS]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def secret_key() -> str:
    """Django's SECRET_KEY: from the environment, else made once per install and kept in .run/secret-key
    (0600), as bootstrap keeps the admin password."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text().strip()
    key = secrets.token_urlsafe(50)
    SECRET_KEY_FILE.touch(mode=0o600)
    SECRET_KEY_FILE.write_text(key + "\n")
    return key


def restrict_sqlite_files() -> None:
    """The embedded SQLite database holds password hashes and tokens: 0600, and created so. SQLite gives
    its -wal and -shm files the database file's mode."""
    SQLITE_DB.touch(mode=0o600)
    for path in (SQLITE_DB, SQLITE_DB.with_name(SQLITE_DB.name + "-wal"), SQLITE_DB.with_name(SQLITE_DB.name + "-shm")):
        if path.exists():
            path.chmod(0o600)


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
        fail_if_any_exited(children)
        if STOP.wait(0.5):
            raise Stopped
    raise SystemExit(f"[run] the API did not answer on {url} within {API_TIMEOUT} s")


def fail_if_any_exited(children: list[Child]) -> None:
    """While starting, a child that exits is a broken set-up, not a crash to retry: stop and say why."""
    for c in children:
        if not c.oneshot and not c.running():
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


def banner(api: str, flower: str, redis_url: str, creds: dict, serial_proxy: str = "") -> str:
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
        f"  Admin console    {api}admin/   (overview; launch: {api}admin/console/launch/)",
        f"  Serial proxy     {serial_proxy}   (console URLs: openstack console url show --serial SERVER)",
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
    parser.add_argument("--serial-proxy-port", type=int, default=int(os.environ.get("SERIAL_PROXY_PORT", "6083")))
    args = parser.parse_args(argv)
    if not (REPO_ROOT / "manage.py").exists():
        raise SystemExit(f"{REPO_ROOT / 'manage.py'} not found")
    enter_private_mount_namespace(argv)

    api_host = os.environ.get("API_HOST", "127.0.0.1")
    # Where we (and the user) reach the API: a wildcard bind is reachable on loopback.
    reach_host = "127.0.0.1" if api_host in ("0.0.0.0", "", "::") else api_host
    for what, port in (("API", args.api_port), ("Flower", args.flower_port),
                       ("the serial console proxy", args.serial_proxy_port)):
        if port_in_use(reach_host if what == "API" else "127.0.0.1", port):
            raise SystemExit(f"[run] port {port} for {what} is already in use (another `make run`?)")

    new_log_dir()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)

    children: list[Child] = []
    redis: Redis | None = None
    libvirtd = None
    python = sys.executable
    try:
        env = dict(os.environ, PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="compute_platform.settings",
                   SECRET_KEY=secret_key())
        env.setdefault("COMPUTE_DRIVER", "fake")
        # The operator console links to Flower and opens serial consoles through the proxy started below.
        env.setdefault("FLOWER_URL", f"http://127.0.0.1:{args.flower_port}/")
        env.setdefault("SERIAL_PROXY_URL", f"ws://127.0.0.1:{args.serial_proxy_port}/")
        # where the hosts' metadata proxies relay guests' requests (the metadata service, api/metadata)
        env.setdefault("METADATA_API_URL", f"http://{reach_host}:{args.api_port}/metadata")
        if env["COMPUTE_DRIVER"] == "libvirt":
            libvirtd = start_libvirt(env)
        if "REDIS_URL" not in env:
            redis = Redis(RUN_DIR).start()
            env["REDIS_URL"] = redis.url
            say(f"[run] redis ready at {redis.url} ({redis.startup_seconds:.1f} s)")
            children.append(RedisChild("redis", redis))
        say(f"[run] database: {env.get('DATABASE_URL', 'sqlite (.run/db.sqlite3)')}")
        if "DATABASE_URL" not in env:
            restrict_sqlite_files()

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
            children.append(child(f"worker {host}", [python, "manage.py", "compute_worker", "--host", host], env))
        # The conductor also consumes `volume`: it makes and removes volume files on the exports.
        children.append(child("conductor", [python, "manage.py", "compute_worker", "--conductor"], env))
        children.append(child("api", [
            tool("gunicorn"), "compute_platform.wsgi:application", "--config", GUNICORN_CONF,
            "--bind", f"{api_host}:{args.api_port}",
            "--workers", "2", "--threads", "4", "--worker-class", "gthread", "--access-logfile", "-",
            # gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl, shared with any other gunicorn here.
            "--no-control-socket"], env))
        children.append(child("beat", [tool("celery"), "-A", "compute_platform", "beat", "--loglevel", "INFO",
                                       "--schedule", str(RUN_DIR / "celerybeat-schedule")], env))
        # Flower reads FLOWER_* options from its environment: the password stays out of `ps`.
        flower_env = dict(env, FLOWER_BASIC_AUTH=f"{creds['admin_user']}:{creds['admin_password']}")
        children.append(child("flower", [
            tool("celery"), "-A", "compute_platform", "flower", f"--port={args.flower_port}",
            "--address=127.0.0.1"], flower_env))

        children.append(child("serial-proxy", [python, "manage.py", "serial_proxy", "--port",
                                               str(args.serial_proxy_port)], env))

        api = f"http://{reach_host}:{args.api_port}/"
        wait_for_api(api, children)
        write_clouds_yaml(api, creds)
        say(banner(api, env["FLOWER_URL"], env["REDIS_URL"], creds, env["SERIAL_PROXY_URL"]))

        # Up: from now on a child that dies is restarted (with backoff) and the others run on.
        while not STOP.wait(0.5):
            supervise(children)
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
