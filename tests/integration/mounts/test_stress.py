"""The stress run (shorter than `make bench`'s): 4 worker processes, randomized attach/detach/migrate over 3
exports on 2 hosts (a migration attaches on the destination before the source detaches), SIGKILLs of workers and of the managers' Redis (restarted empty) at random points, an observer
checking the invariants throughout (devtools/mount_stress)."""
from __future__ import annotations

from devtools.mount_stress import run_stress


def test_stress_with_worker_and_redis_kills_keeps_every_invariant(redis_url, pg_url, tmp_path):
    report = run_stress(redis_url=redis_url, database_url=pg_url, workers=4, ops=1000, exports=3,
                        workdir=str(tmp_path), seed=7)
    print(report.table())
    assert report.violations == []
    assert report.final and all(report.final.values()), report.final
    assert report.ops >= 1000 and report.kills >= 1 and report.redis_kills >= 1
    assert report.migrations > 100  # moves between the two hosts were a good part of the mix
    # the checks really ran, many times
    assert report.checks["attached_is_mounted"] > 100 and report.checks["single_mount"] > 100
    assert report.checks["database_attached_is_mounted"] > 100
    assert report.checks["export_visible_after_attach"] > 100


def test_the_checks_catch_a_manager_that_unmounts_exports_in_use(redis_url, pg_url, tmp_path):
    report = run_stress(redis_url=redis_url, database_url=pg_url, workers=4, ops=600, exports=1, slots=2,
                        kill_interval=None, redis_kill_interval=None, workdir=str(tmp_path), seed=3,
                        manager_class="tests.integration.mounts.broken:UnmountsInUseManager")
    print(report.table())
    assert not report.ok
    assert any("not mounted" in v or "no export files" in v for v in report.violations), report.violations[:5]
