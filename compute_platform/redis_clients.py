"""The one way code outside Celery and the MountManager talks to Redis: a client per URL and process.

A redis-py client owns a connection pool and is thread-safe, so each process keeps one per URL instead of
opening a connection per call; the pool reconnects by itself after Redis restarts (and after a fork). Its
timeouts are the broker's: an unreachable Redis costs a caller seconds, not minutes.
"""
import functools

import redis
from django.conf import settings


@functools.lru_cache(maxsize=None)
def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, **settings.BROKER_SOCKET_OPTIONS)


def broker_redis() -> redis.Redis:
    """The broker's Redis (Celery's queues, and the small markers that ride beside them)."""
    return redis_client(settings.CELERY_BROKER_URL)
