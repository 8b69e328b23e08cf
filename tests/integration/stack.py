"""A live platform for integration tests: a fresh PostgreSQL database, a Redis database, the API under
gunicorn and one real Celery worker process per fake host. Nothing here is mocked."""
from __future__ import annotations

import ipaddress
import itertools
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
import redis
import requests

from devtools.parent_death import die_with_parent
from devtools.services import free_port

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "integration-secret"
# A real key per test session: outside DEBUG the platform refuses to start without one.
SECRET_KEY = secrets.token_urlsafe(50)
_counter = itertools.count(1)


def _admin_sql(database_url: str, *statements: str) -> None:
    # CREATE/DROP DATABASE cannot run in a transaction; psycopg2's `with conn` would open one.
    u = urlparse(database_url)
    conn = psycopg2.connect(host=u.hostname, port=u.port, user=u.username or "postgres", dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def make_template(database_url: str, workdir: Path, name: str | None = None) -> str:
    """Migrate one database to clone per stack (CREATE DATABASE ... TEMPLATE takes ~0.1 s)."""
    name = name or f"tmpl_{os.getpid()}"
    _admin_sql(database_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    env = dict(os.environ, DATABASE_URL=_with_db(database_url, name), ADMIN_PASSWORD=ADMIN_PASSWORD,
               SECRET_KEY=SECRET_KEY, COMPUTE_STATE_DIR=str(workdir))
    for cmd in (["migrate", "--noinput", "-v0"], ["bootstrap"]):
        subprocess.run([sys.executable, "manage.py", *cmd], cwd=REPO, env=env, check=True, capture_output=True)
    return name


def _with_db(database_url: str, name: str) -> str:
    u = urlparse(database_url)
    return u._replace(path=f"/{name}").geturl()


@dataclass
class Stack:
    database_url: str
    redis_url: str
    workdir: Path
    hosts: list[str]
    env_extra: dict = field(default_factory=dict)
    api_port: int = 0
    serial_proxy_port: int = field(default_factory=free_port)
    procs: dict = field(default_factory=dict)
    _token: str | None = None

    # ---- lifecycle -------------------------------------------------------------------------
    @property
    def env(self) -> dict:
        env = dict(os.environ, DATABASE_URL=self.database_url, REDIS_URL=self.redis_url,
                   COMPUTE_STATE_DIR=str(self.workdir / "state"), ADMIN_PASSWORD=ADMIN_PASSWORD,
                   SECRET_KEY=SECRET_KEY,
                   IMAGE_DIR=str(self.workdir / "images"),
                   HEARTBEAT_INTERVAL="1", PYTHONUNBUFFERED="1", DB_CONN_MAX_AGE="0",
                   WORKER_LOGLEVEL="INFO",
                   # Tests and the bench boot more than Nova's default 10 servers per project; the
                   # quota tests set their own limits (env_extra or os-quota-sets).
                   QUOTA_INSTANCES="-1", QUOTA_CORES="-1", QUOTA_RAM="-1",
                   SERIAL_PROXY_URL=f"ws://127.0.0.1:{self.serial_proxy_port}/",
                   # a libvirt host's metadata proxies relay to this stack's API
                   METADATA_API_URL=f"http://127.0.0.1:{self.api_port}/metadata")
        env.update(self.env_extra)
        return env

    def _spawn(self, name: str, cmd: list[str], env: dict) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")
        # Own session: stop()/kill_worker() killpg() it with its own children (gunicorn's workers). Dies with
        # this process: a pytest killed before its finalisers ran (SIGTERM, SIGKILL) leaves nothing running.
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=die_with_parent())
        self.procs[name] = proc
        return proc

    def start_api(self, **env_extra):
        self.api_port = self.api_port or free_port()
        env = dict(self.env, **{k: str(v) for k, v in env_extra.items()})
        self._spawn("api", [str(Path(sys.executable).parent / "gunicorn"), "compute_platform.wsgi:application",
                            "--config", str(REPO / "compute_platform" / "gunicorn.conf.py"),
                            "--bind", f"127.0.0.1:{self.api_port}", "--workers", "2", "--threads", "8",
                            "--worker-class", "gthread", "--no-control-socket", "--timeout", "120"], env)

    def restart_api(self, **env_extra):
        """Restart only gunicorn, on the same port, with these settings added (the rest stays up)."""
        proc = self.procs.pop("api")
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        self.start_api(**env_extra)
        self.wait_until(self._api_up, timeout=60, what="the restarted API")

    def start_worker(self, host: str, **env_extra) -> subprocess.Popen:
        env = dict(self.env, **{k: str(v) for k, v in env_extra.items()})
        return self._spawn(f"worker-{host}", [sys.executable, "manage.py", "compute_worker", "--host", host], env)

    def start_fake_hosts(self, spec: str, **env_extra) -> subprocess.Popen:
        """One worker process serving many simulated fake hosts (`node1..node1000`), each with its own queue."""
        env = dict(self.env, **{k: str(v) for k, v in env_extra.items()})
        return self._spawn(f"worker-{spec}", [sys.executable, "manage.py", "compute_worker", "--hosts", spec], env)

    def start_serial_proxy(self) -> subprocess.Popen:
        """The serial console proxy (manage.py serial_proxy), on the port the API's console URLs name."""
        proc = self._spawn("serial-proxy", [sys.executable, "manage.py", "serial_proxy", "--port",
                                            str(self.serial_proxy_port)], self.env)

        def listening():
            try:
                return requests.get(f"http://127.0.0.1:{self.serial_proxy_port}/", timeout=1).status_code
            except requests.RequestException:
                return None
        self.wait_until(listening, timeout=60, what="the serial console proxy")
        return proc

    def start_conductor(self) -> subprocess.Popen:
        """Started, and consuming: a task sent to its queues before it bound them could be lost (a test that
        created a volume at once failed so, its conductor slow to start on a loaded machine)."""
        proc = self._spawn("conductor", [sys.executable, "manage.py", "compute_worker", "--conductor"], self.env)
        self.wait_until(self._conductor_answers, timeout=60, what="the conductor answering a ping")
        return proc

    def _conductor_answers(self) -> bool:
        from celery import Celery

        app = Celery(broker=self.redis_url)
        try:
            return any(node.startswith("conductor@") for reply in app.control.ping(timeout=0.5) for node in reply)
        finally:
            app.close()

    def send_task(self, name: str, **kwargs):
        """Publish a task the way beat does: by name, to the broker this stack uses."""
        from celery import Celery

        app = Celery(broker=self.redis_url)
        try:
            app.send_task(name, **kwargs)
        finally:
            app.close()

    def kill_worker(self, host: str, sig=signal.SIGKILL):
        proc = self.procs.pop(f"worker-{host}")
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def wait_until(self, predicate, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; last value: {last!r}\n"
                             + self.logs_tail())

    def logs_tail(self, lines: int = 15) -> str:
        out = []
        for log in sorted(self.workdir.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(out)

    def wait_ready(self):
        self.wait_until(lambda: self._api_up(), timeout=60, what="the API")
        self.wait_hosts_up(self.hosts)

    def wait_hosts_up(self, hosts):
        def up():
            body = self.get("/compute/v2.1/os-services").json()
            states = {s["host"]: s["state"] for s in body["services"]}
            return all(states.get(h) == "up" for h in hosts)
        self.wait_until(up, timeout=60, what=f"hosts {hosts} up")

    def _api_up(self) -> bool:
        try:
            return requests.get(self.url("/"), timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self):
        # SIGKILL to each process group (gunicorn's workers with their master): a test's stack has nothing to
        # save, and Celery's and gunicorn's graceful stops cost seconds per stack, a hundred stacks a run.
        for name, proc in list(self.procs.items()):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for proc in self.procs.values():
            proc.wait(timeout=15)
        self.procs.clear()
        _redis_db_release(self.redis_url)  # its processes are gone: nothing reads its queues any more

    def manage(self, *args: str, **env: str) -> str:
        """Run a management command against this stack's database, with `env` added to its environment
        (secrets such as USER_PASSWORD travel there, not in argv); returns its stdout."""
        res = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=dict(self.env, **env),
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        return res.stdout

    # ---- HTTP ------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.api_port}{path}"

    def token(self, username="admin", password=ADMIN_PASSWORD, project="admin") -> str:
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": username, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        r = requests.post(self.url("/identity/v3/auth/tokens"), json=body, timeout=10)
        assert r.status_code == 201, r.text
        return r.headers["X-Subject-Token"]

    def request(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        if token is None:
            self._token = self._token or self.token()
            token = self._token
        headers = {"X-Auth-Token": token, **kw.pop("headers", {})}
        return requests.request(method, self.url(path), headers=headers, timeout=kw.pop("timeout", 30), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # ---- compute helpers -------------------------------------------------------------------
    def image_id(self) -> str:
        return self.get("/image/v2/images").json()["images"][0]["id"]

    def boot(self, name="vm", flavor="1", token=None, **server) -> requests.Response:
        body = {"server": {"name": name, "imageRef": self.image_id(), "flavorRef": flavor, **server}}
        return self.post("/compute/v2.1/servers", json=body, token=token)

    def server(self, server_id: str, token=None) -> dict | None:
        r = self.get(f"/compute/v2.1/servers/{server_id}", token=token)
        return None if r.status_code == 404 else r.json()["server"]

    def wait_status(self, server_id: str, status: str, timeout: float = 30.0) -> dict:
        def settled():
            s = self.server(server_id)
            return s if s and s["status"] == status and s["OS-EXT-STS:task_state"] is None else None
        return self.wait_until(settled, timeout=timeout, what=f"server {server_id} {status}")

    def wait_gone(self, server_id: str, timeout: float = 30.0):
        self.wait_until(lambda: self.server(server_id) is None, timeout=timeout, what=f"server {server_id} gone")

    def action(self, server_id: str, body: dict, token=None) -> requests.Response:
        return self.post(f"/compute/v2.1/servers/{server_id}/action", json=body, token=token)

    # ---- network helpers -------------------------------------------------------------------
    def unused_address(self, network_id: str, cidr: str) -> str:
        """An IPv4 address of `cidr` no port of the network holds: ports (the DHCP port too) draw theirs at
        random, so a test that asks for a fixed address picks one of these, not a constant that may be taken."""
        taken = {ip["ip_address"] for port in self.get(f"/network/v2.0/ports?network_id={network_id}").json()["ports"]
                 for ip in port["fixed_ips"]}
        net = ipaddress.ip_network(cidr)
        return next(str(a) for a in itertools.islice(net.hosts(), 9, None) if str(a) not in taken)


# The Redis databases (of each Redis server) that live stacks of this process use. A stack lives as long as its
# fixture: the system tier's libvirt stack, the whole session. Numbering them by a counter modulo 16 once gave a
# live stack's database to the 16th stack after it, which flushed it and whose conductor then shared its queues:
# the other stack's conductor took a volume delete meant for this one, and the volume never went.
_REDIS_DBS_IN_USE: dict[str, set[int]] = {}
_REDIS_DATABASES = range(1, 16)  # redis-server's 16; 0 is left to whoever else uses the server


def _redis_db_take(redis_base_url: str) -> str:
    server = redis_base_url.rsplit("/", 1)[0]
    used = _REDIS_DBS_IN_USE.setdefault(server, set())
    free = [db for db in _REDIS_DATABASES if db not in used]
    if not free:
        raise RuntimeError(f"all Redis databases of {server} are in use by live stacks of this process")
    used.add(free[0])
    return f"{server}/{free[0]}"


def _redis_db_release(redis_url: str) -> None:
    server, db = redis_url.rsplit("/", 1)
    _REDIS_DBS_IN_USE.get(server, set()).discard(int(db))


def new_stack(*, base_database_url: str, template: str, redis_base_url: str, workdir: Path,
              hosts: list[str], start_workers: bool = True, **env_extra) -> Stack:
    n = next(_counter)
    dbname = f"stack_{os.getpid()}_{n}"
    _admin_sql(base_database_url, f"CREATE DATABASE {dbname} TEMPLATE {template}")
    redis_url = _redis_db_take(redis_base_url)
    redis.Redis.from_url(redis_url).flushdb()
    workdir.mkdir(parents=True, exist_ok=True)
    stack = Stack(database_url=_with_db(base_database_url, dbname), redis_url=redis_url, workdir=workdir,
                  hosts=hosts, env_extra={k: str(v) for k, v in env_extra.items()})
    stack.start_api()
    if start_workers:
        for host in hosts:
            stack.start_worker(host)
    return stack
