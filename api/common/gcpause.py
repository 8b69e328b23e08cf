"""Pause Python's cyclic garbage collector while a big response body is built.

Building 10,000 server bodies allocates some 300,000 containers; each 700 allocations start a collection,
and the older generations' passes walk every live object of the process. Measured on the 10,000-server
list: 384 ms with the collector on, 166 ms paused. Nothing built there is cyclic, so nothing is lost:
the collector resumes when the last concurrent pause ends (the counter: gunicorn runs threads).
"""
import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused():
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
