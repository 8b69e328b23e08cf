"""A per-(host, export) lock in Redis with a fencing token, renewed while held.

redis-py's `Lock` does the acquiring, blocking, extending and owner-checked release. What it lacks is a
fencing token: a counter bumped on every successful acquire. We add it by acquiring with a small Lua
script (SET NX PX, then INCR of the fence key, atomically), and every state change made under the lock
goes through `update`, which refuses unless the lock still holds our token *and* the fence still
equals ours. A holder that stalled past its lease (GC pause, SIGSTOP, a hung mount) therefore cannot
write after a newer holder has taken over.

Redis may also restart empty, and then the fence counter starts again at 1, so a stale holder's fence may
equal a newer holder's. The token (a nonce per holder) already tells them apart, but a lock may also name an
*epoch* key: acquiring requires it present (and, if asked, equal to a given value) and records its value, and
every update requires it unchanged. The MountManager's epoch is the host's generation key, which an empty
Redis lacks and every rebuild renews, so nothing acquired before a loss of state can write after it.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

import redis
from redis.lock import Lock

LOG = logging.getLogger(__name__)


class LockLost(Exception):
    """The lease expired (or was taken over) before a fenced write: nothing was written."""


class StateLost(LockLost):
    """The lock's epoch key is missing or changed (Redis lost its state, or a rebuild began): nothing was
    written; the state must be rebuilt from the truth before anyone acts."""


class LockTimeout(Exception):
    """The lock stayed busy for longer than the caller was willing to wait."""


# KEYS: lock, fence[, epoch]. ARGV: token, ttl ms[, the epoch value required, or '' for any].
# Returns {fence, epoch value}, false while another holds the lock, or an error reply STATE_LOST.
_ACQUIRE = """
local epoch = ''
if #KEYS == 3 then
  epoch = redis.call('get', KEYS[3])
  if not epoch or (ARGV[3] ~= '' and epoch ~= ARGV[3]) then return redis.error_reply('STATE_LOST') end
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {redis.call('incr', KEYS[2]), epoch}
end
return false
"""

# KEYS: lock, fence, attachments, pending, epoch (or the lock again when there is none).
# ARGV: token, fence, epoch value, op, members...
# Returns the number of attachments left, or an error reply FENCED or STATE_LOST.
_FENCED_UPDATE = """
if KEYS[5] ~= KEYS[1] and redis.call('get', KEYS[5]) ~= ARGV[3] then
  return redis.error_reply('STATE_LOST')
end
if redis.call('get', KEYS[1]) ~= ARGV[1] or redis.call('get', KEYS[2]) ~= ARGV[2] then
  return redis.error_reply('FENCED')
end
local op = ARGV[4]
if op == 'add' then
  for i = 5, #ARGV do redis.call('sadd', KEYS[3], ARGV[i]) end
  redis.call('del', KEYS[4])
elseif op == 'remove' then
  for i = 5, #ARGV do redis.call('srem', KEYS[3], ARGV[i]) end
elseif op == 'replace' then
  redis.call('del', KEYS[3])
  for i = 5, #ARGV do redis.call('sadd', KEYS[3], ARGV[i]) end
elseif op == 'mark_pending' then
  redis.call('set', KEYS[4], ARGV[5])
elseif op == 'clear_pending' then
  redis.call('del', KEYS[4])
elseif op == 'check' then
  -- nothing: the caller learns, atomically with the fence check, how many attachments there are
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

    def __init__(self, client: redis.Redis, name: str, *, fence_key: str, epoch: tuple[str, str] | None,
                 **kw) -> None:
        super().__init__(client, name, **kw)
        self.fence_key = fence_key
        self.epoch = epoch
        self.fence: int | None = None
        self.epoch_value = ""
        self._acquire_script = client.register_script(_ACQUIRE)

    def do_acquire(self, token: str) -> bool:
        keys, args = [self.name, self.fence_key], [token, int(self.timeout * 1000)]
        if self.epoch:
            keys.append(self.epoch[0])
            args.append(self.epoch[1])
        try:
            got = self._acquire_script(keys=keys, args=args)
        except redis.exceptions.ResponseError as exc:
            if "STATE_LOST" in str(exc):
                raise StateLost(f"{self.name}: epoch {self.epoch[0]} is missing or changed; not acquired")
            raise
        if got:
            self.fence, self.epoch_value = int(got[0]), got[1].decode() if isinstance(got[1], bytes) else got[1]
            return True
        return False


class _Renewer:
    """One daemon thread per process renews every lock the process holds, every `ttl / 4` seconds.

    One thread for all locks, started once: a thread per acquire would cost more than the rest of a
    warm attach. Restarted after a fork (Celery's prefork children inherit no threads)."""

    def __init__(self) -> None:
        self._held: set[FencedLock] = set()
        self._mutex = threading.Lock()
        self._pid: int | None = None
        self._wake = threading.Event()

    def add(self, lock: FencedLock) -> None:
        with self._mutex:
            if self._pid != os.getpid():
                self._held, self._pid, self._wake = set(), os.getpid(), threading.Event()
                threading.Thread(target=self._run, name="mount-lock-renewer", daemon=True).start()
            self._held.add(lock)
            self._wake.set()  # let the thread recompute its interval for a shorter ttl

    def discard(self, lock: FencedLock) -> None:
        with self._mutex:
            self._held.discard(lock)

    def _run(self) -> None:
        while True:
            with self._mutex:
                held = list(self._held)
            interval = min((lk.ttl for lk in held), default=1.0) / 4
            self._wake.wait(interval)
            self._wake.clear()
            for lock in held:
                lock.renew_if_due()


_RENEWER = _Renewer()


class FencedLock:
    """Held by one caller at a time across every process using the same Redis.

    Use as a context manager. While held, the process's renewer thread extends the lease every
    `ttl / 3` seconds, so a long mount keeps it while a dead process loses it within `ttl`.
    """

    def __init__(self, client: redis.Redis, *, lock_key: str, fence_key: str, attachments_key: str,
                 pending_key: str, ttl: float, wait: float, epoch: tuple[str, str] | None = None) -> None:
        """`epoch`: (key, value) that must exist while the lock is held, with that value ('' for any value
        present at acquire time, which every later update then requires unchanged)."""
        self.client = client
        self.keys = [lock_key, fence_key, attachments_key, pending_key, epoch[0] if epoch else lock_key]
        self.ttl = ttl
        self.token = holder_id()
        self._lock = _FencedRedisLock(client, lock_key, fence_key=fence_key, epoch=epoch, timeout=ttl,
                                      sleep=0.002, blocking_timeout=wait, thread_local=False)
        self._update = client.register_script(_FENCED_UPDATE)
        self._held = False
        self._acquired_at = 0.0
        self._renewed_at = 0.0
        self.lost = False

    @property
    def fence(self) -> int | None:
        return self._lock.fence

    def __enter__(self) -> FencedLock:
        if not self._lock.acquire(token=self.token):
            raise LockTimeout(f"lock {self.keys[0]} still busy after {self._lock.blocking_timeout} s")
        self._held = True
        self._renewed_at = time.monotonic()
        _RENEWER.add(self)
        return self

    def __exit__(self, *exc) -> None:
        self._held = False
        _RENEWER.discard(self)
        try:
            self._lock.release()
        except redis.exceptions.LockError:
            # Expired and maybe taken by another holder: that holder's lock is not ours to delete.
            LOG.warning("lock %s (fence %s) had expired before release", self.keys[0], self.fence)
        except redis.exceptions.ConnectionError:
            # Redis is gone, and the lock with it: nothing to release, and no reason to hide the caller's error.
            LOG.warning("lock %s (fence %s): Redis unreachable at release", self.keys[0], self.fence)

    def stall(self) -> None:
        """Test hook: stop renewing, as a process frozen by SIGSTOP or a long GC pause would."""
        _RENEWER.discard(self)

    def renew_if_due(self) -> None:
        if not self._held or time.monotonic() - self._renewed_at < self.ttl / 4:
            return
        try:
            self._lock.reacquire()
            self._renewed_at = time.monotonic()
        except redis.exceptions.LockError:
            if self._held:
                self.lost = True
                LOG.error("lost lock %s (fence %s): a newer holder may be working", self.keys[0], self.fence)
        except redis.exceptions.ConnectionError:
            LOG.warning("could not renew lock %s: Redis unreachable", self.keys[0])

    def update(self, op: str, *members: str) -> int:
        """Apply one fenced change to the export's state; returns the attachments left.

        Raises LockLost, writing nothing, if our lease is no longer the current one, and StateLost if the
        epoch changed (Redis restarted empty, or a rebuild began).
        """
        try:
            return int(self._update(keys=self.keys, args=[self.token, self.fence, self._lock.epoch_value, op,
                                                          *members]))
        except redis.exceptions.ResponseError as exc:
            if "STATE_LOST" in str(exc):
                self.lost = True
                raise StateLost(f"{self.keys[0]}: epoch {self.keys[4]} is no longer {self._lock.epoch_value!r}; "
                                f"{op} not applied")
            if "FENCED" in str(exc):
                self.lost = True
                raise LockLost(f"{self.keys[0]}: fence {self.fence} is no longer current; {op} not applied")
            raise
