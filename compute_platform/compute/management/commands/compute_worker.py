"""Run one compute host's worker: recover the host, keep its heartbeat, consume `compute.<host>`.

    manage.py compute_worker --host node1 [--pool threads] [--concurrency 4]
    manage.py compute_worker --conductor        (cluster-wide periodic tasks, queue `conductor`; volume
                                                 files, queue `volume`)
"""
import logging
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from compute_platform import tasknames

logger = logging.getLogger("compute.worker")


def _heartbeat_loop(host: str, stop: threading.Event):
    from compute_platform.compute.services.hosts import host_heartbeat

    # Liveness comes from the host itself, not from beat: a host whose worker is wedged must look down.
    while not stop.wait(settings.HEARTBEAT_INTERVAL):
        try:
            host_heartbeat(name=host)
        except Exception:
            logger.exception("heartbeat of %s failed", host)
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = "Run a compute host's Celery worker (or the conductor worker)."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--host", help="compute host name; the worker consumes compute.<host>")
        who.add_argument("--conductor", action="store_true", help="consume the conductor and volume queues")
        parser.add_argument("--pool", default=settings.WORKER_POOL)
        parser.add_argument("--concurrency", type=int, default=settings.WORKER_CONCURRENCY)
        parser.add_argument("--loglevel", default=settings.WORKER_LOGLEVEL)

    def handle(self, *args, host=None, conductor=False, pool="threads", concurrency=4, loglevel="INFO", **kw):
        from compute_platform.celery import app

        if conductor:
            # The conductor is also the volume service: it makes and removes volume files on the exports.
            from tasks.volume_manager import volume_service_recover

            self.stdout.write(f"volume service recovered: {volume_service_recover()}")
            queue, node = f"{tasknames.CONDUCTOR_QUEUE},{tasknames.VOLUME_QUEUE}", "conductor@%h"
        else:
            if not host or "." in host or "@" in host:
                raise CommandError("--host must be a plain name (no '.' or '@')")
            from tasks import runtime
            from tasks.recovery import host_recover

            runtime.host_set(host)

            counts = host_recover()
            self.stdout.write(f"host {host} recovered: {counts}")
            threading.Thread(target=_heartbeat_loop, args=(host, threading.Event()), daemon=True,
                             name=f"heartbeat-{host}").start()
            queue, node = tasknames.host_queue(host), f"compute-{host}@%h"
        close_old_connections()
        app.worker_main(["worker", "-Q", queue, "-n", node, "-P", pool, "-c", str(concurrency),
                         "--loglevel", loglevel, "-E", "--without-gossip", "--without-mingle"])
