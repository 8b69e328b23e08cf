"""Tempest's smoke subset (devtools/tempest.py: SMOKE_REGEX) against a stack of its own, as `make tempest` runs
the whole of tempest.api.compute: any Tempest failure, or a selected test that never ran, fails this test.
The Tempest virtualenv is built on first use (pip, from PyPI)."""
import json
import os
import shutil
import subprocess
import sys

from .stack import REPO

# The subset passes this many tests today; fewer means tests turned into skips (a flag or a set-up changed).
MIN_PASSED = 60


def test_tempest_smoke_subset_passes(private_mount_namespace):
    # Under .run/, not pytest's tmp_path: pytest-of-<user> is pruned by any other pytest run of the same user,
    # and Tempest reads its tempest.conf from the workspace for minutes.
    work = REPO / ".run" / f"tempest-smoke-{os.getpid()}"
    try:
        _run_smoke(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_smoke(work):
    # Its own throwaway PostgreSQL and Redis (about 2 s): Tempest's accounts and servers stay out of the
    # databases the other tests share.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    res = subprocess.run([sys.executable, "-m", "devtools.tempest", "--smoke", "--workdir", str(work)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    results, failures = work / "workspace" / "results.json", work / "workspace" / "failures.txt"
    assert results.exists(), res.stdout[-6000:] + res.stderr[-3000:]
    total = json.loads(results.read_text())["total"]
    report = res.stdout[res.stdout.rfind("\nmodule "):] + "\n" + failures.read_text()[-8000:]
    assert (total["failed"], total["not run"]) == (0, 0), report
    assert total["passed"] >= MIN_PASSED, report
    assert res.returncode == 0, report
