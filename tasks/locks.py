"""Per-instance serialization on one host, across the worker's threads and processes.

Two tasks for one instance (a build and a delete that overtook it) must not interleave on the
hypervisor, as Nova serializes them with a lock per instance uuid. An fcntl lock on a file is
host-local, shared by every process, and released by the kernel if the holder is SIGKILLed, so a
crashed worker never leaves an instance locked.
"""
import contextlib
import fcntl
import hashlib
import os
import threading

from django.conf import settings

# Striped: a bounded set of lock files (no file per instance to clean up); two unrelated
# instances share a stripe one time in STRIPES, which costs only a short wait.
STRIPES = 1024
_thread_locks = [threading.Lock() for _ in range(STRIPES)]


@contextlib.contextmanager
def instance_lock(instance_uuid: str):
    # flock() locks belong to the open file description: two threads of one process opening the
    # file separately do exclude each other, but we add a thread lock so waits are cheap and fair.
    stripe = int(hashlib.md5(instance_uuid.encode()).hexdigest(), 16) % STRIPES
    tlock = _thread_locks[stripe]
    lock_dir = settings.COMPUTE_STATE_DIR / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with tlock:
        fd = os.open(lock_dir / f"{stripe:04d}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
