"""Run one compute host's worker: recover the host, keep its heartbeat, consume `compute.<host>`.

    manage.py compute_worker --host node1 [--pool threads] [--concurrency 4]
    manage.py compute_worker --hosts node1..node1000   (fake driver: one process serving many simulated
                                                        hosts, each with its own queue and heartbeat)
    manage.py compute_worker --conductor        (cluster-wide periodic tasks, queue `conductor`; volume
                                                 files, queue `volume`)
"""
import logging
import re
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from compute_platform import tasknames

logger = logging.getLogger("compute.worker")


def _every(interval: float, what: str, work, *, first_now: bool = False):
    """Run `work()` every `interval` s on a daemon thread for the life of the worker; an error is logged and
    the next round tries again (the database or the broker may be away for a while)."""
    stop = threading.Event()  # never set: the thread ends with the process

    def loop():
        if first_now:
            _once()
        while not stop.wait(interval):
            _once()

    def _once():
        try:
            work()
        except Exception as exc:
            logger.warning("%s failed: %s", what, exc, exc_info=logger.isEnabledFor(logging.DEBUG))
        finally:
            close_old_connections()

    threading.Thread(target=loop, daemon=True, name=what).start()


def _until_reachable(recover):
    """Run a start-up recovery, again from the top (it is idempotent, as a restarted worker's would be) while
    Redis or the database is unreachable, for up to DB_OUTAGE_RETRY_SECONDS (db_ride_out_enable runs first):
    a worker started during an outage waits for it instead of exiting."""
    import redis

    from compute_platform.db_retry import DB_DOWN, outage_retrying

    for attempt in outage_retrying(retry_on=(redis.ConnectionError, redis.TimeoutError, *DB_DOWN),
                                   what=f"{recover.__name__}: Redis or the database"):
        with attempt:
            try:
                return recover()
            finally:
                close_old_connections()


def parse_hosts(spec: str) -> list[str]:
    """`node1..node1000` -> node1, node2, ... node1000; `a,b,c` -> a, b, c. Plain names only."""
    m = re.fullmatch(r"([A-Za-z_-][\w-]*?)(\d+)\.\.\1(\d+)", spec)
    names = ([f"{m[1]}{i}" for i in range(int(m[2]), int(m[3]) + 1)] if m
             else [n.strip() for n in spec.split(",") if n.strip()])
    if not names or any("." in n or "@" in n for n in names):
        raise CommandError("--hosts: PREFIX<a>..PREFIX<b> or a comma-separated list of plain names")
    return names


class Command(BaseCommand):
    help = "Run a compute host's Celery worker (or the conductor worker)."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--host", help="compute host name; the worker consumes compute.<host>")
        who.add_argument("--hosts", help="fake driver only: simulated hosts PREFIX<a>..PREFIX<b> (e.g. node1..node1000) "
                                         "or a comma-separated list, served by this one process")
        who.add_argument("--conductor", action="store_true", help="consume the conductor and volume queues")
        parser.add_argument("--pool", default=settings.WORKER_POOL)
        parser.add_argument("--concurrency", type=int, default=settings.WORKER_CONCURRENCY)
        parser.add_argument("--loglevel", default=settings.WORKER_LOGLEVEL)

    def handle(self, *args, host=None, hosts=None, conductor=False, pool="threads", concurrency=4, loglevel="INFO",
               **kw):
        from compute_platform.celery import app
        from compute_platform.db_retry import db_ride_out_enable

        db_ride_out_enable(seconds=settings.DB_OUTAGE_RETRY_SECONDS)

        if conductor:
            # The conductor is also the volume service: it makes and removes volume files on the exports.
            from tasks.broker_watch import broker_watch_once
            from tasks.volume_manager import volume_service_recover

            self.stdout.write(f"volume service recovered: {_until_reachable(volume_service_recover)}")
            # Not a beat task: lost messages must be noticed even when beat's own messages were lost with them.
            _every(settings.BROKER_WATCH_INTERVAL, "broker watch", broker_watch_once, first_now=True)
            queue, node = f"{tasknames.CONDUCTOR_QUEUE},{tasknames.VOLUME_QUEUE}", "conductor@%h"
        elif hosts:
            names = parse_hosts(hosts)
            if settings.COMPUTE_DRIVER != "fake":
                raise CommandError("--hosts simulates hosts: it needs COMPUTE_DRIVER=fake")
            from celery.signals import task_postrun, task_prerun

            from compute_platform.compute.services.hosts import hosts_heartbeat
            from tasks import runtime
            from tasks.recovery import host_recover

            runtime.hosts_set(names)
            for name in names:
                with runtime.serving(name):
                    _until_reachable(host_recover)
            self.stdout.write(f"{len(names)} hosts recovered: {names[0]} .. {names[-1]}")
            # Each task runs as the host whose queue it came on (the threads pool runs it on this signal's thread).
            task_prerun.connect(lambda task=None, **_: runtime.task_host_enter(
                (task.request.delivery_info or {}).get("routing_key")), weak=False)
            task_postrun.connect(lambda **_: runtime.task_host_leave(), weak=False)
            _every(settings.HEARTBEAT_INTERVAL, "heartbeat", lambda: hosts_heartbeat(names=names))
            # Its consumer polls every host's queue in each fetch: the transport that packs that poll cheaply.
            app.conf.broker_transport = "compute_platform.celery_transport:Transport"
            queue, node = ",".join(tasknames.host_queue(n) for n in names), f"compute-{names[0]}-x{len(names)}@%h"
        else:
            if not host or "." in host or "@" in host:
                raise CommandError("--host must be a plain name (no '.' or '@')")
            from compute_platform.compute.services.hosts import hosts_heartbeat
            from tasks import runtime
            from tasks.recovery import host_recover

            runtime.host_set(host)

            counts = _until_reachable(host_recover)
            self.stdout.write(f"host {host} recovered: {counts}")
            # Liveness comes from the host itself, not from beat: a host whose worker is wedged must look down.
            _every(settings.HEARTBEAT_INTERVAL, f"heartbeat-{host}", lambda: hosts_heartbeat(names=[host]))
            queue, node = tasknames.host_queue(host), f"compute-{host}@%h"
        close_old_connections()
        app.worker_main(["worker", "-Q", queue, "-n", node, "-P", pool, "-c", str(concurrency),
                         "--loglevel", loglevel, "-E", "--without-gossip", "--without-mingle"])
