"""The conductor's watch on the broker: the broker is a carrier of messages, never the truth of pending work.

Two ways a message is lost, and how each is noticed within BROKER_WATCH_INTERVAL of the broker's return:
- Redis restarted empty (or flushed): every queued and unacknowledged message is gone. The watch keeps a
  generation key in the broker's database; a Redis that lacks it has lost everything, so all work in flight
  (claimed task_states and volume statuses on live hosts) is re-sent at once, whatever its age.
- A publish failed after its transaction committed (broker unreachable): the message was kept in the
  database's DispatchBacklog, and is re-sent once the broker answers.
Both re-sends are idempotent: every task's gate makes a duplicate of work not lost a no-op.
"""
import logging
import uuid

from django.utils import timezone

from compute_platform.compute.services.dispatch import dispatch_backlog_resend
from compute_platform.redis_clients import broker_redis

from .periodic import redrive_in_flight

logger = logging.getLogger(__name__)

BROKER_GENERATION_KEY = "compute-platform:broker-generation"


def broker_watch_once() -> dict:
    """One look at the broker. Raises redis.ConnectionError while it is unreachable (the caller retries)."""
    counts = {"redriven": 0, "backlog": 0}
    # SET NX: of several conductors, exactly one sees the loss and re-sends.
    if broker_redis().set(BROKER_GENERATION_KEY, uuid.uuid4().hex, nx=True):
        redriven = redrive_in_flight(cutoff=timezone.now())
        counts["redriven"] = len(redriven)
        logger.warning("broker has no generation key (new or restarted empty): re-sent %d works in flight: %s",
                       len(redriven), redriven)
    counts["backlog"] = dispatch_backlog_resend()
    return counts
