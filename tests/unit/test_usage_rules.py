"""Pure rules of os-simple-tenant-usage and os-instance-usage-audit-log, as Nova counts them."""
from datetime import datetime, timedelta

import pytest

from compute_platform.compute.exceptions import BadRequest
from compute_platform.compute.selectors_usage import audit_period, tenant_usages, usage_hours

T0 = datetime(2026, 5, 1)
H = timedelta(hours=1)


@pytest.mark.parametrize("launched, terminated, hours", [
    (None, None, 0),                      # never launched: no charge
    (T0 - 5 * H, None, 10),               # running all period
    (T0 + 2 * H, None, 8),                # launched inside the period
    (T0 + 2 * H, T0 + 3 * H, 1),          # launched and gone inside
    (T0 - 5 * H, T0 - H, 0),              # gone before the period
    (T0 + 11 * H, None, 0),               # launched after it
])
def test_usage_hours(launched, terminated, hours):
    assert usage_hours(launched_at=launched, terminated_at=terminated, start=T0, stop=T0 + 10 * H) == hours


def test_tenant_usages_sum_per_project():
    row = {"uuid": "u1", "name": "a", "project_id": "p", "vcpus": 2, "memory_mb": 512, "root_gb": 1,
           "flavor__ephemeral_gb": 1, "vm_state": "active", "launched_at": T0, "terminated_at": None,
           "flavor__name": "m1"}
    gone = {**row, "uuid": "u2", "terminated_at": T0 + 5 * H}
    (usage,) = tenant_usages(rows=[row, gone], start=T0, stop=T0 + 10 * H, now=T0 + 10 * H, detailed=True)
    assert (usage["total_hours"], usage["total_vcpus_usage"], usage["total_memory_mb_usage"],
            usage["total_local_gb_usage"]) == (15, 30, 7680, 30)
    assert [s["state"] for s in usage["server_usages"]] == ["active", "terminated"]
    assert [s["uptime"] for s in usage["server_usages"]] == [36000, 18000]
    (brief,) = tenant_usages(rows=[row], start=T0, stop=T0 + H, now=T0 + H, detailed=False)
    assert "server_usages" not in brief


@pytest.mark.parametrize("before, period", [
    (datetime(2026, 3, 15, 10), (datetime(2026, 2, 1), datetime(2026, 3, 1))),
    (datetime(2026, 3, 1), (datetime(2026, 1, 1), datetime(2026, 2, 1))),  # the month ending now is not over
    (datetime(2026, 1, 1, 0, 0, 1), (datetime(2025, 12, 1), datetime(2026, 1, 1))),
])
def test_audit_period_is_the_last_completed_month(before, period):
    assert audit_period(before=before) == period


def test_audit_period_before_any_month_is_a_400():
    with pytest.raises(BadRequest):
        audit_period(before=datetime(1, 2, 5))
