"""The children of `make run`, supervised: each one's output prefixed, echoed and logged; one that dies is
restarted with exponential backoff (capped) while the others run on; stop_all() ends them all.

Pure stdlib, no Django: devtools/run_stack.py drives it, tests/unit/test_devtools_supervisor.py tests it.
"""
from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

STOP_GRACE = 10
BACKOFF_FIRST = 1.0    # seconds before the first restart
BACKOFF_MAX = 60.0     # the cap: a child that keeps dying is retried once a minute
STABLE_AFTER = 60.0    # a child that ran this long before dying starts over from BACKOFF_FIRST

_print_lock = threading.Lock()
STOP = threading.Event()   # first Ctrl-C/SIGTERM: stop gracefully
FORCE = threading.Event()  # second one: SIGKILL without waiting


def say(line: str) -> None:
    with _print_lock:
        sys.stdout.write(line if line.endswith("\n") else line + "\n")
        sys.stdout.flush()


def backoff(failures: int) -> float:
    """Delay before restart number `failures` in a row: 1, 2, 4 ... capped at BACKOFF_MAX seconds."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, failures - 1))


class Child:
    """A child process whose output is prefixed with its name, echoed and logged; restartable."""

    def __init__(self, name: str, cmd: list[str], env: dict, *, cwd: Path, log_dir: Path, hide=None):
        self.name, self.cmd, self.env, self.cwd = name, cmd, env, cwd
        self.oneshot = False  # migrate/bootstrap: exiting is their job, not a failure
        self.log_path = log_dir / (name.replace(" ", "-") + ".log")
        self.lines: collections.deque[str] = collections.deque(maxlen=200)
        self.hide = hide  # predicate: lines kept in memory but neither echoed nor logged (secrets)
        self.restarts = 0
        self.failures = 0         # deaths in a row, each within STABLE_AFTER of its start
        self.restart_at: float | None = None
        self.start()

    def start(self) -> None:
        # Own session: a terminal Ctrl-C reaches only us, so shutdown stays orderly,
        # and killpg() also reaches gunicorn's and celery's own worker processes.
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     bufsize=1, errors="replace", start_new_session=True)
        self.reader = threading.Thread(target=self._pump, args=(self.proc,), name=f"pump {self.name}",
                                       daemon=True)
        self.reader.start()

    def _pump(self, proc: subprocess.Popen) -> None:
        with open(self.log_path, "a") as log:  # a restart appends to the same run's log
            for line in proc.stdout:
                self.lines.append(line.rstrip("\n"))
                if self.hide and self.hide(line):
                    continue
                log.write(line)
                log.flush()
                say(f"[{self.name}] {line}")

    def running(self) -> bool:
        return self.proc.poll() is None

    def tail(self, n: int = 20) -> str:
        lines = [ln for ln in self.lines if not (self.hide and self.hide(ln))]
        return "\n".join(f"    {ln}" for ln in lines[-n:]) or "    (no output)"

    def signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass



class RedisChild(Child):
    """An embedded devtools.services.Redis as a supervised child: `redis.start()` (re)starts it on the same
    port and data folder and returns once it answers PING; its output goes to its own redis.log."""

    def __init__(self, name: str, redis):
        self.service = redis
        self.name, self.oneshot, self.hide = name, False, None
        self.lines = collections.deque(maxlen=0)
        self.restarts, self.failures, self.restart_at = 0, 0, None
        self.log_path = redis.dir / "redis.log"
        self.started_at, self.proc = time.monotonic(), redis.proc
        self.reader = threading.Thread(target=lambda: None)
        self.reader.start()

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.service.start()
        self.proc = self.service.proc

    def tail(self, n: int = 20) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()[-n:]
        except OSError:
            lines = []
        return "\n".join(f"    {ln}" for ln in lines) or "    (no output)"


class Stopped(Exception):
    """Raised in the main thread once a stop was requested."""


def wait(child: Child) -> int:
    """Wait for a child's exit, abandoning (Stopped) if a stop is requested meanwhile."""
    while child.proc.poll() is None:
        if STOP.wait(0.1):
            raise Stopped
    child.reader.join(5)
    return child.proc.returncode


def supervise(children: list, now: float | None = None) -> None:
    """One supervision pass: a long-running child found dead is scheduled for a restart after its backoff;
    one whose time has come is restarted. The others are not touched. Call it every fraction of a second."""
    now = time.monotonic() if now is None else now
    for c in children:
        if c.oneshot or c.running():
            continue
        if c.restart_at is None:
            c.reader.join(2)  # so the tail includes its last words
            ran = now - c.started_at
            c.failures = 1 if ran >= STABLE_AFTER else c.failures + 1
            delay = backoff(c.failures)
            c.restart_at = now + delay
            say(f"[run] {c.name} exited (code {c.proc.returncode}) after {ran:.1f} s; restarting it in "
                f"{delay:.0f} s (restart #{c.restarts + 1}); last lines of {c.log_path}:\n{c.tail(5)}")
        elif now >= c.restart_at:
            c.restarts += 1
            try:
                c.start()
            except (OSError, RuntimeError) as exc:  # cannot even start (Redis's port taken, say): try later
                c.failures += 1
                c.restart_at = now + backoff(c.failures)
                say(f"[run] {c.name} could not be restarted ({exc}); next try in {backoff(c.failures):.0f} s")
                continue
            c.restart_at = None
            say(f"[run] {c.name} restarted (pid {c.proc.pid}, restart #{c.restarts})")


def stop_all(children: list) -> None:
    """SIGTERM every running child (newest first), SIGKILL what is left after STOP_GRACE (or at once after
    a second Ctrl-C); none is restarted afterwards."""
    for c in children:
        c.restart_at = None
    running = [c for c in reversed(children) if c.running()]
    if running:
        say(f"[run] stopping {', '.join(c.name for c in running)}")
    for c in running:
        c.signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    while any(c.running() for c in running) and time.monotonic() < deadline and not FORCE.is_set():
        time.sleep(0.1)
    for c in running:
        if c.running():
            say(f"[run] {c.name} did not stop within {STOP_GRACE} s: killing it")
            c.signal(signal.SIGKILL)
            c.proc.wait()
    for c in children:
        c.reader.join(2)


def on_signal(signum, frame) -> None:
    if STOP.is_set():
        FORCE.set()
    STOP.set()
