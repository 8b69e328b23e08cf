"""A per-(host, export) lock in Redis with a fencing token, renewed while held.

redis-py's `Lock` does the acquiring, blocking, extending and owner-checked release. What it lacks is a
fencing token: a counter bumped on every successful acquire. We add it by acquiring with a small Lua
script (SET NX PX, then INCR of the fence key, atomically), and every state change made under the lock
goes through `fenced_update`, which refuses unless the lock still holds our token *and* the fence still
equals ours. A holder that stalled past its lease (GC pause, SIGSTOP, a hung mount) therefore cannot
write after a newer holder has taken over.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

import redis
from redis.lock import Lock

LOG = logging.getLogger(__name__)


class LockLost(Exception):
    """The lease expired (or was taken over) before a fenced write: nothing was written."""


class LockTimeout(Exception):
    """The lock stayed busy for longer than the caller was willing to wait."""


_ACQUIRE = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('incr', KEYS[2])
end
return false
"""

# KEYS: lock, fence, attachments, pending. ARGV: token, fence, op, members...
# Returns the number of attachments left, or an error reply FENCED.
_FENCED_UPDATE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] or redis.call('get', KEYS[2]) ~= ARGV[2] then
  return redis.error_reply('FENCED')
end
local op = ARGV[3]
if op == 'add' then
  for i = 4, #ARGV do redis.call('sadd', KEYS[3], ARGV[i]) end
  redis.call('del', KEYS[4])
elseif op == 'remove' then
  for i = 4, #ARGV do redis.call('srem', KEYS[3], ARGV[i]) end
elseif op == 'replace' then
  redis.call('del', KEYS[3])
  for i = 4, #ARGV do redis.call('sadd', KEYS[3], ARGV[i]) end
elseif op == 'mark_pending' then
  redis.call('set', KEYS[4], ARGV[4])
elseif op == 'clear_pending' then
  redis.call('del', KEYS[4])
else
  return redis.error_reply('unknown op ' .. op)
end
return redis.call('scard', KEYS[3])
"""


def holder_id() -> str:
    """Who holds a lock, readable in the admin panel: host name, pid and a nonce for uniqueness."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class _FencedRedisLock(Lock):
    """redis-py's Lock, acquiring through the script above so each acquire bumps the fence."""

    def __init__(self, client: redis.Redis, name: str, *, fence_key: str, **kw) -> None:
        super().__init__(client, name, **kw)
        self.fence_key = fence_key
        self.fence: int | None = None
        self._acquire_script = client.register_script(_ACQUIRE)

    def do_acquire(self, token: str) -> bool:
        fence = self._acquire_script(keys=[self.name, self.fence_key], args=[token, int(self.timeout * 1000)])
        if fence:
            self.fence = int(fence)
            return True
        return False


class FencedLock:
    """Held by one caller at a time across every process using the same Redis.

    Use as a context manager; while held, a daemon thread renews the lease every `ttl / 3` seconds, so
    a long mount keeps it, while a dead process loses it within `ttl`.
    """

    def __init__(self, client: redis.Redis, *, lock_key: str, fence_key: str, attachments_key: str,
                 pending_key: str, ttl: float, wait: float) -> None:
        self.client = client
        self.keys = [lock_key, fence_key, attachments_key, pending_key]
        self.ttl = ttl
        self.token = holder_id()
        self._lock = _FencedRedisLock(client, lock_key, fence_key=fence_key, timeout=ttl, sleep=0.002,
                                      blocking_timeout=wait, thread_local=False)
        self._update = client.register_script(_FENCED_UPDATE)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self.lost = False

    @property
    def fence(self) -> int | None:
        return self._lock.fence

    def __enter__(self) -> FencedLock:
        if not self._lock.acquire(token=self.token):
            raise LockTimeout(f"lock {self.keys[0]} still busy after {self._lock.blocking_timeout} s")
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, name=f"renew {self.keys[0]}", daemon=True)
        self._renewer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        try:
            self._lock.release()
        except redis.exceptions.LockError:
            # Expired and maybe taken by another holder: that holder's lock is not ours to delete.
            LOG.warning("lock %s (fence %s) had expired before release", self.keys[0], self.fence)

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self._lock.reacquire()
            except redis.exceptions.LockError:
                self.lost = True
                LOG.error("lost lock %s (fence %s): a newer holder may be working", self.keys[0], self.fence)
                return
            except redis.exceptions.ConnectionError:
                LOG.warning("could not renew lock %s: Redis unreachable", self.keys[0])

    def update(self, op: str, *members: str) -> int:
        """Apply one fenced change to the export's state; returns the attachments left.

        Raises LockLost, writing nothing, if our lease is no longer the current one.
        """
        try:
            return int(self._update(keys=self.keys, args=[self.token, self.fence, op, *members]))
        except redis.exceptions.ResponseError as exc:
            if "FENCED" in str(exc):
                self.lost = True
                raise LockLost(f"{self.keys[0]}: fence {self.fence} is no longer current; {op} not applied")
            raise
