"""Stress the MountManager the way a busy compute host does, and check its invariants throughout.

N worker processes attach, detach and migrate randomly chosen volumes over E exports on H hosts (real bind
mounts, real Redis, a real PostgreSQL table standing for the attachments table). Each operation is journalled
the way the platform's tasks do it: the database row (per host) first says `attaching`/`detaching`, then the
host's manager acts, then the row is finalised. A migration moves an attached volume to another host as the
platform's moves do (tasks/move_manager.py): the destination attaches first (its row `attaching`, then
`attached`), and only then the source detaches (its row `detaching`, then gone), so some host's row says
`attached` throughout. That journal is the truth each host's manager rebuilds from. A killer SIGKILLs random
workers at random points (once each has done an operation since its start, so a loaded machine still makes
progress) and restarts them; a restarted worker first finishes what its predecessor left
half-done (as Celery redelivers an unacked task), and a migration cut between its two halves is finished by
releasing the source. Another SIGKILLs the managers' Redis (a redis-server the
run owns, with no persistence) and restarts it empty on the same port; the run's own counters live in the
other Redis (REDIS_URL), which nobody kills.

An observer checks throughout, per export:
- single_mount: never more than one mount stacked on a mount point;
- attached_is_mounted: an export whose attachment set was non-empty across the whole observation (read
  twice around the kernel's mount table, with the fence and the generation unchanged, so no locked change
  and no loss of Redis happened between) is mounted; a read that fails while Redis is down is skipped;
- database_attached_is_mounted: an export with a row `attached` (the same row, by id) in the database both
  before and after reading the mount table is mounted, whatever Redis holds or whether it is up.
Workers check that after every attach the export's files are visible at the mount point.
At the end, after one audit (against the database): no half-done rows; per export Redis's set equals the
database's rows; an export
with attachments is mounted exactly once and one without is not mounted; no stray mounts; no lock held.

Run alone (as root, in a private mount namespace: `sh devtools/in_mount_ns.sh`) with DATABASE_URL and
REDIS_URL set; `make bench` runs the full size, `make test` a shorter one.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg2
import redis

from devtools.services import Redis
from hypervisors.volumes import ExportRef, LockLost, LockTimeout, MountManager
from hypervisors.volumes.mountinfo import mount_counts, mounts_under

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class StressReport:
    workers: int
    exports: int
    ops: int = 0
    hosts: int = 1
    migrations: int = 0
    seconds: float = 0.0
    kills: int = 0
    redis_kills: int = 0
    recovered_ops: int = 0
    checks: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    final: dict[str, bool] = field(default_factory=dict)
    audit: dict = field(default_factory=dict)

    @property
    def ops_per_second(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return not self.violations and all(self.final.values())

    def table(self) -> str:
        rows = [("operations (attach, detach or migrate)", f"{self.ops}"),
                ("of which migrations between hosts", f"{self.migrations}"), ("hosts", f"{self.hosts}"),
                ("seconds", f"{self.seconds:.1f}"),
                ("operations/s", f"{self.ops_per_second:.0f}"), ("worker processes", f"{self.workers}"),
                ("exports", f"{self.exports}"), ("workers SIGKILLed and restarted", f"{self.kills}"),
                ("Redis SIGKILLed and restarted empty", f"{self.redis_kills}"),
                ("half-done operations finished by a restarted worker", f"{self.recovered_ops}")]
        rows += [(f"check {name}", f"{n} passed") for name, n in sorted(self.checks.items())]
        rows += [(f"skipped {name} (changed or Redis down while observed)", f"{n}")
                 for name, n in sorted(self.skipped.items())]
        rows += [(f"final {name}", "ok" if passed else "FAILED") for name, passed in self.final.items()]
        rows += [("audit at the end", json.dumps({k: v for k, v in self.audit.items() if v}))]
        rows += [("violations", str(len(self.violations)))]
        width = max(len(r[0]) for r in rows)
        return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def _key(worker: int, export: int, slot: int) -> str:
    return f"vol-w{worker}-e{export}-{slot}:inst-w{worker}-{slot}"


def journal_truth(db, table: str, exports: list[ExportRef], host: str):
    """A host manager's truth: every row of the journal for the host, whatever its state, names a key its
    export needs there."""
    def truth() -> tuple[list[ExportRef], dict[str, set[str]]]:
        with db.cursor() as cur:
            cur.execute(f"SELECT export_id, key FROM {table} WHERE host = %s", (host,))
            needed: dict[str, set[str]] = {}
            for export_id, key in cur.fetchall():
                needed.setdefault(export_id, set()).add(key)
        return exports, needed
    return truth


def _until_redis_answers(client: redis.Redis, deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while True:
        try:
            client.ping()
            return
        except redis.exceptions.ConnectionError:
            if time.monotonic() > end:
                raise
            time.sleep(0.02)


# -- one worker process -------------------------------------------------------------------------------------

def worker_main(cfg: dict) -> None:
    rc = redis.Redis.from_url(cfg["redis_url"])  # the run's counters: never killed
    state = redis.Redis.from_url(cfg["state_redis_url"])  # the managers': SIGKILLed and restarted empty
    db = psycopg2.connect(cfg["database_url"])
    db.autocommit = True
    cur = db.cursor()
    table = cfg["table"]
    module, _, name = cfg.get("manager_class", "hypervisors.volumes:MountManager").partition(":")
    manager_class = getattr(importlib.import_module(module), name)
    exports = [ExportRef(**e) for e in cfg["exports"]]
    by_id = {e.id: e for e in exports}
    mgrs = {h: manager_class(host=h, redis_client=state, mount_base=base, lock_ttl=cfg["lock_ttl"], lock_wait=120.0,
                             mount_timeout=20.0, truth=journal_truth(db, table, exports, h))
            for h, base in cfg["mount_bases"].items()}
    hosts = sorted(mgrs)
    me = cfg["worker"]

    def act(op, export: ExportRef, key: str):
        """One manager call, done again while Redis is down or the call lost its lock (it is idempotent),
        as a task failing on a lost Redis is retried."""
        while True:
            try:
                return op(export, key)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, LockLost, LockTimeout):
                _until_redis_answers(state)

    def attach(host: str, export: ExportRef, key: str) -> None:
        cur.execute(f"INSERT INTO {table} (key, host, worker, export_id, state) VALUES (%s, %s, %s, %s, 'attaching')",
                    (key, host, me, export.id))
        mountpoint = act(mgrs[host].attach, export, key)
        if os.path.exists(os.path.join(mountpoint, "marker")):
            rc.incr(cfg["prefix"] + "check:export_visible_after_attach")
        else:
            rc.rpush(cfg["prefix"] + "violations", f"{key}: {mountpoint} shows no export files after attach")
        cur.execute(f"UPDATE {table} SET state = 'attached' WHERE key = %s AND host = %s", (key, host))

    def detach(host: str, export: ExportRef, key: str) -> None:
        cur.execute(f"UPDATE {table} SET state = 'detaching' WHERE key = %s AND host = %s", (key, host))
        act(mgrs[host].detach, export, key)
        cur.execute(f"DELETE FROM {table} WHERE key = %s AND host = %s", (key, host))

    # Finish what a killed predecessor left half-done, as a redelivered task would: attaches first (a
    # migration's destination), then detaches, then a migration cut between its halves (its key attached on
    # two hosts: the older row is the source, released now that the destination holds it).
    cur.execute(f"SELECT key, host, export_id, state FROM {table} WHERE worker = %s AND state <> 'attached'"
                f" ORDER BY state = 'detaching', id", (me,))
    for key, host, export_id, row_state in cur.fetchall():
        if row_state == "attaching":
            act(mgrs[host].attach, by_id[export_id], key)
            cur.execute(f"UPDATE {table} SET state = 'attached' WHERE key = %s AND host = %s", (key, host))
        else:
            act(mgrs[host].detach, by_id[export_id], key)
            cur.execute(f"DELETE FROM {table} WHERE key = %s AND host = %s", (key, host))
        rc.incr(cfg["prefix"] + "recovered")
    cur.execute(f"SELECT key, host, export_id FROM {table} WHERE worker = %s ORDER BY id", (me,))
    attached: dict[str, str] = {}
    for key, host, export_id in cur.fetchall():
        if key in attached:
            detach(attached[key], by_id[export_id], key)
            rc.incr(cfg["prefix"] + "recovered")
        attached[key] = host
    mine = [(_key(me, e, s), exports[e]) for e in range(len(exports)) for s in range(cfg["slots"])]
    rng = random.Random(f"{cfg['seed']}-{me}-{os.getpid()}")
    ops_key = cfg["prefix"] + "ops"
    while int(rc.get(ops_key) or 0) < cfg["ops"]:
        key, export = rng.choice(mine)
        if key in attached and len(hosts) > 1 and rng.random() < cfg["migrate_share"]:
            # A move: the destination attaches before the source lets go.
            source = attached[key]
            dest = rng.choice([h for h in hosts if h != source])
            attach(dest, export, key)
            detach(source, export, key)
            attached[key] = dest
            rc.incr(cfg["prefix"] + "migrations")
        elif key in attached:
            detach(attached.pop(key), export, key)
        else:
            host = rng.choice(hosts)
            attach(host, export, key)
            attached[key] = host
        rc.incr(ops_key)
        rc.incr(f"{cfg['prefix']}worker_ops:{me}")


# -- the run ------------------------------------------------------------------------------------------------

class _Observer(threading.Thread):
    def __init__(self, rc: redis.Redis, mgrs: list[MountManager], exports: list[ExportRef], report: StressReport,
                 database_url: str, table: str) -> None:
        super().__init__(daemon=True, name="observer")
        self.rc, self.mgrs, self.exports, self.report = rc, mgrs, exports, report
        self.db = psycopg2.connect(database_url)
        self.db.autocommit = True
        self.table = table
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for mgr in self.mgrs:
                for export in self.exports:
                    self.observe(mgr, export)
        self.db.close()

    def _redis_view(self, keys: dict) -> tuple | None:
        try:
            pipe = self.rc.pipeline(transaction=True)
            pipe.get(keys["generation"]).get(keys["fence"]).scard(keys["attachments"])
            return tuple(pipe.execute())
        except redis.exceptions.RedisError:
            return None  # Redis is down: no reading, no violation

    def _attached_rows(self, host: str, export: ExportRef) -> set:
        with self.db.cursor() as cur:
            cur.execute(f"SELECT key, id FROM {self.table} WHERE host = %s AND export_id = %s AND state = 'attached'",
                        (host, export.id))
            return set(cur.fetchall())

    def observe(self, mgr: MountManager, export: ExportRef) -> None:
        keys = mgr.state_keys(export)
        rows1, view1 = self._attached_rows(mgr.host, export), self._redis_view(keys)
        stacked = mount_counts()[mgr.mountpoint(export)]
        view2, rows2 = self._redis_view(keys), self._attached_rows(mgr.host, export)
        name = f"{export.id} on {mgr.host}"
        if stacked > 1:
            self.report.violations.append(f"export {name}: {stacked} mounts stacked")
        else:
            self.report.checks["single_mount"] += 1
        # A row keeps its id from insert to delete and never goes back to `attached`: the same row attached
        # at both reads was attached throughout.
        if rows1 & rows2:
            if stacked == 0:
                self.report.violations.append(f"export {name}: attached in the database "
                                              f"({sorted(k for k, _ in rows1 & rows2)}) but not mounted")
            else:
                self.report.checks["database_attached_is_mounted"] += 1
        if view1 is None or view2 is None:
            self.report.skipped["attached_is_mounted"] += 1
            return
        (gen1, fence1, n1), (gen2, fence2, n2) = view1, view2
        if n1 and n2:
            if gen1 is not None and (gen1, fence1) == (gen2, fence2):
                if stacked == 0:
                    self.report.violations.append(f"export {name}: {n1} attachments but not mounted")
                else:
                    self.report.checks["attached_is_mounted"] += 1
            else:
                self.report.skipped["attached_is_mounted"] += 1


def run_stress(*, redis_url: str, database_url: str, workers: int = 4, ops: int = 10_000, exports: int = 3,
               slots: int = 1, kill_interval: tuple[float, float] | None = (0.2, 0.8), lock_ttl: float = 1.0,
               redis_kill_interval: tuple[float, float] | None = (1.0, 3.0), seed: int = 1,
               workdir: str | None = None, progress=print, hosts: int = 2, migrate_share: float = 0.3,
               manager_class: str = "hypervisors.volumes:MountManager") -> StressReport:
    """Run the stress; `manager_class` lets a test prove the checks catch a broken manager. `redis_url` holds
    the run's counters; the managers use a redis-server of the run's own, which it SIGKILLs and restarts
    empty every `redis_kill_interval` seconds."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="mount-stress-"))
    state_redis = Redis(workdir / "redis").start()
    try:
        return _run_stress(redis_url=redis_url, state_redis=state_redis, database_url=database_url, workers=workers,
                           ops=ops, exports=exports, slots=slots, kill_interval=kill_interval, lock_ttl=lock_ttl,
                           redis_kill_interval=redis_kill_interval, seed=seed, workdir=workdir, progress=progress,
                           hosts=hosts, migrate_share=migrate_share, manager_class=manager_class)
    finally:
        state_redis.stop()


def _run_stress(*, redis_url: str, state_redis: Redis, database_url: str, workers: int, ops: int, exports: int,
                slots: int, kill_interval, lock_ttl: float, redis_kill_interval, seed: int, workdir: Path,
                progress, hosts: int, migrate_share: float, manager_class: str) -> StressReport:
    run_id = uuid.uuid4().hex[:8]
    host_names = [f"stress-{run_id}-h{n}" for n in range(hosts)]
    table = f"mount_stress_{run_id}"
    prefix = f"stress:{run_id}:"
    refs = []
    for n in range(exports):
        src = workdir / f"export{n}"
        src.mkdir(parents=True)
        (src / "marker").write_text(str(n))
        refs.append(ExportRef(id=str(n + 1), share=str(src), fstype="bind"))
    rc = redis.Redis.from_url(redis_url)
    state = redis.Redis.from_url(state_redis.url)
    db = psycopg2.connect(database_url)
    db.autocommit = True
    cur = db.cursor()
    cur.execute(f"CREATE TABLE {table} (key text NOT NULL, host text NOT NULL, id bigserial, worker int NOT NULL,"
                f" export_id text NOT NULL, state text NOT NULL, PRIMARY KEY (key, host))")
    mgrs = [MountManager(host=h, redis_client=state, mount_base=str(workdir / "mnt" / h), lock_ttl=lock_ttl,
                         truth=journal_truth(db, table, refs, h)) for h in host_names]
    cfg = dict(redis_url=redis_url, state_redis_url=state_redis.url, database_url=database_url, table=table,
               prefix=prefix, mount_bases={m.host: m.mount_base for m in mgrs}, migrate_share=migrate_share,
               lock_ttl=lock_ttl, exports=[asdict(r) for r in refs], slots=slots,
               ops=ops, seed=seed, manager_class=manager_class)
    report = StressReport(workers=workers, exports=exports, hosts=hosts)
    rng = random.Random(seed)

    def spawn(n: int) -> subprocess.Popen:
        rc.delete(f"{prefix}worker_ops:{n}")
        return subprocess.Popen([sys.executable, "-m", "devtools.mount_stress", "worker",
                                 json.dumps(cfg | {"worker": n})], cwd=REPO_ROOT)

    observer = _Observer(state, mgrs, refs, report, database_url, table)
    procs = {n: spawn(n) for n in range(workers)}
    observer.start()
    started = time.monotonic()
    last_print = started
    try:
        next_kill = started + rng.uniform(*kill_interval) if kill_interval else float("inf")
        next_redis_kill = started + rng.uniform(*redis_kill_interval) if redis_kill_interval else float("inf")
        while any(p.poll() is None for p in procs.values()):
            time.sleep(0.05)
            done = int(rc.get(prefix + "ops") or 0)
            if time.monotonic() - last_print > 5:
                progress(f"  mount stress: {done}/{ops} operations, {report.kills} worker kills, "
                         f"{report.redis_kills} Redis kills")
                last_print = time.monotonic()
            if done < ops and time.monotonic() >= next_redis_kill:
                state_redis.kill()  # in the middle of whatever the workers are doing
                report.redis_kills += 1
                time.sleep(rng.uniform(0.0, 0.3))  # down for a moment: the workers see refused connections
                state_redis.start()
                next_redis_kill = time.monotonic() + rng.uniform(*redis_kill_interval)
            if done >= ops or time.monotonic() < next_kill:
                continue
            n = rng.randrange(workers)
            if not int(rc.get(f"{prefix}worker_ops:{n}") or 0):
                continue  # still starting (or recovering): kill it in the middle of operations, not of imports
            next_kill = time.monotonic() + rng.uniform(*kill_interval)
            if procs[n].poll() is None:
                procs[n].send_signal(signal.SIGKILL)
                procs[n].wait()
                report.kills += 1
                procs[n] = spawn(n)
        failed = {n: p.returncode for n, p in procs.items() if p.returncode != 0}
        if failed:
            report.violations.append(f"workers exited with errors: {failed}")
        report.seconds = time.monotonic() - started
        report.ops = int(rc.get(prefix + "ops") or 0)
    finally:
        observer.stop.set()
        observer.join()
        for p in procs.values():
            if p.poll() is None:
                p.kill()
    report.recovered_ops = int(rc.get(prefix + "recovered") or 0)
    report.migrations = int(rc.get(prefix + "migrations") or 0)
    report.checks["export_visible_after_attach"] = int(rc.get(prefix + "check:export_visible_after_attach") or 0)
    report.violations += [v.decode() for v in rc.lrange(prefix + "violations", 0, -1)]

    # One audit against the database (rebuilding first if the last Redis restart was never noticed), then
    # the final state must be exactly what the database says.
    cur.execute(f"SELECT host, export_id, key, state FROM {table}")
    rows = cur.fetchall()
    expected: dict[tuple[str, str], set[str]] = {(m.host, r.id): set() for m in mgrs for r in refs}
    keys_seen: Counter = Counter()
    for host, export_id, key, _ in rows:
        expected[(host, export_id)].add(key)
        keys_seen[key] += 1
    audits = {m.host: m.audit() for m in mgrs}
    report.audit = {h: {k: v for k, v in a.as_dict().items() if k != "checked" and v} for h, a in audits.items()}
    counts = mount_counts()
    report.final["no half-done rows"] = all(state == "attached" for *_, state in rows)
    report.final["no volume attached on two hosts"] = all(n == 1 for n in keys_seen.values())
    report.final["Redis sets equal the database"] = all(
        m.attachments(r) == expected[(m.host, r.id)] for m in mgrs for r in refs)
    report.final["exports with attachments mounted once"] = all(
        counts[m.mountpoint(r)] == 1 for m in mgrs for r in refs if expected[(m.host, r.id)])
    report.final["exports without attachments unmounted"] = all(
        counts[m.mountpoint(r)] == 0 for m in mgrs for r in refs if not expected[(m.host, r.id)])
    report.final["no stray mounts"] = all(
        set(mounts_under(m.mount_base)) <= {m.mountpoint(r) for r in refs} for m in mgrs)
    report.final["no lock held"] = all(m.status(r).lock_holder is None for m in mgrs for r in refs)

    # Leave nothing behind: release every attachment (unmounting through the manager), drop the state.
    for m in mgrs:
        for r in refs:
            for key in sorted(expected[(m.host, r.id)]):
                m.detach(r, key)
    cur.execute(f"DROP TABLE {table}")
    for k in rc.scan_iter(f"{prefix}*"):
        rc.delete(k)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker")
    w.add_argument("config")
    r = sub.add_parser("run")
    r.add_argument("--workers", type=int, default=4)
    r.add_argument("--ops", type=int, default=10_000)
    r.add_argument("--exports", type=int, default=3)
    r.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.cmd == "worker":
        worker_main(json.loads(args.config))
        return 0
    report = run_stress(redis_url=os.environ["REDIS_URL"], database_url=os.environ["DATABASE_URL"],
                        workers=args.workers, ops=args.ops, exports=args.exports, seed=args.seed)
    print(report.table())
    for v in report.violations[:20]:
        print("VIOLATION:", v)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
