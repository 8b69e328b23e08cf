"""Children that die with the process that started them, however it ends (SIGTERM, SIGKILL, a crash):
Linux's parent-death signal (prctl PR_SET_PDEATHSIG), set in the child between fork and exec.

A test run's stacks (gunicorn, compute workers) run in their own sessions so that killpg() reaches their
own children; without this, a pytest killed before its finalisers ran left them running.

Pure stdlib, no Django.
"""
from __future__ import annotations

import ctypes
import os
import signal
import threading

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM):
    """A `preexec_fn` for subprocess.Popen: the child gets `sig` when its parent dies.

    The kernel sends it when the *thread* that forked exits, so it is only set for children started from the
    main thread (which lives as long as the process); from any other thread this returns None (no preexec_fn).
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    parent = os.getpid()
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
        if os.getppid() != parent:  # the parent died before prctl: nobody is left to signal us
            os.kill(os.getpid(), sig)
    return preexec
