"""At most one pending push of a kind per compute host, as Neutron's agents coalesce their refreshes.

A push that reads everything it needs from the database when the host runs it (a host's group sets) need not
be sent again while one is still waiting: that one will see the change. A marker per (host, kind) in the
broker's Redis says "one is waiting": the sender sends only if it set the marker (SET NX, after its commit),
and the host deletes the marker BEFORE it reads the database (`host_push_taken`). So a change committed before
the delete is seen by that read, and one committed after it finds no marker and sends a push of its own: no
change is missed, whatever the interleaving.

Redis is never the only truth. A marker lost (Redis restarted: the broker's messages go with it) only means
the next change pushes again; a marker whose message was lost expires after MARKER_TTL, so pushes resume;
Redis unreachable means the push goes unconditionally; and a worker's start rebuilds everything from the
database after clearing its markers (tasks/network_plane.py)."""
import logging

import redis

from compute_platform import tasknames
from compute_platform.compute.context import new_request_id
from compute_platform.compute.services.dispatch import task_send_or_keep
from compute_platform.redis_clients import broker_redis

logger = logging.getLogger(__name__)

# Longer than a busy host takes to start a waiting push (a spare push after it is harmless); short enough
# that a marker whose message was lost holds pushes back only briefly.
MARKER_TTL = 30
# A push starts this long after the change that sent it, so the changes of a burst (a multi-create, many boots
# in one group) share it: a host reloads a set at most about once a second, however fast members come.
# Neutron's agents likewise apply security group updates on their next loop, not per message (the OVS agent's
# polling_interval, 2 s by default). 0.5 s made each host reload its sets about twice a second during a burst
# of boots: in bench_network, about a tenth of a boot's CPU with a port went to other hosts' reloads.
DELAY = 1.0


def marker_key(*, host: str, kind: str) -> str:
    return f"compute_platform:push:{kind}:{host}"


def hosts_push(*, hosts, kind: str, task_name: str, why: str) -> list[str]:
    """Send `task_name` (kwargs: request_id) now to each of `hosts` where none of `kind` is waiting yet (their
    markers set in one round trip; callers send it once their change committed). Returns the hosts it was sent
    to."""
    hosts = list(hosts)
    if not hosts:
        return []
    request_ids = [new_request_id() for _ in hosts]
    try:
        pipe = broker_redis().pipeline(transaction=False)
        for host, request_id in zip(hosts, request_ids):
            pipe.set(marker_key(host=host, kind=kind), request_id, nx=True, ex=MARKER_TTL)
        fresh = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("push markers for %s on %s unavailable (%s): pushing anyway", kind, hosts, exc)
        fresh = [True] * len(hosts)
    sent = []
    for host, request_id, first in zip(hosts, request_ids, fresh):
        if not first:
            logger.debug("%s push to %s already waiting (%s)", kind, host, why)
            continue
        task_send_or_keep(task_name=task_name, queue=tasknames.host_queue(host), kwargs={"request_id": request_id},
                          countdown=DELAY)
        logger.info("%s pushed to host %s (%s, %s)", kind, host, why, request_id)
        sent.append(host)
    return sent


def host_push_taken(*, host: str, kinds: tuple[str, ...]) -> None:
    """The host is about to read the database for these kinds: their markers go first, so any change
    committed from now on sends a push of its own. Redis unreachable: the markers expire by themselves."""
    try:
        broker_redis().delete(*(marker_key(host=host, kind=k) for k in kinds))
    except redis.RedisError as exc:
        logger.warning("push markers %s of %s not cleared (%s): they expire in %d s", kinds, host, exc, MARKER_TTL)
