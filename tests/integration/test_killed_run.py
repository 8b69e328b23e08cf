"""A pytest run killed before its finalisers ran (SIGTERM from CI or a terminal, SIGKILL) leaves none of its
stack's processes running: each dies with the run (devtools/parent_death.py), gunicorn's workers with it."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .stack import REPO

pytestmark = pytest.mark.integration
PROBE = Path(__file__).with_name("killed_run_probe.py")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie nobody reaped yet (our reaper is not its parent once the run is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_run_leaves_no_stack_process_behind(sig, pg_url, redis_url, template_db, tmp_path):
    pids_file = tmp_path / "pids.json"
    env = dict(os.environ, DATABASE_URL=pg_url, REDIS_URL=redis_url, KILLED_RUN_TEMPLATE=template_db,
               KILLED_RUN_PIDS=str(pids_file))
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            f"--basetemp={tmp_path / 'run'}", str(PROBE)],
                           cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not pids_file.exists():
            assert run.poll() is None, run.stdout.read().decode(errors="replace")
            assert time.monotonic() < deadline, "the probe's stack never came up"
            time.sleep(0.1)
        stack = json.loads(pids_file.read_text())
        assert set(stack) == {"api", "worker-k1"}, stack
        procs = _descendants(run.pid)  # the stack's processes and gunicorn's workers
        assert set(stack.values()) <= procs and len(procs) >= 4, (stack, procs)
        run.send_signal(sig)
        assert run.wait(timeout=30) == -sig
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    deadline = time.monotonic() + 45  # gunicorn's and Celery's own graceful stop on SIGTERM
    while (left := {p for p in procs if _alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.2)
    named = {}
    for pid in left:  # named for the message, then killed: a failure here must not leave them running either
        named[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120]
        os.kill(pid, signal.SIGKILL)
    assert not left, named
