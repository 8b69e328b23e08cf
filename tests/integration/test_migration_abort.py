"""Abort of a running live migration (DELETE /servers/{id}/migrations/{mid}, 2.24) between real worker processes
of two fake hosts: the fake driver holds the migration under way (its live_migrate delay) until the abort, sent
to the source's queue, stops it; the guest stays running on the source, the migration ends `cancelled`, the
destination's claim is given back. Nova's 404 (below 2.24, another instance's or no such migration), 409 (not
migrating) and 400 (not a running live migration) rules."""
import pytest

from .test_moves import SERVERS, actions, boot_on, driver, migrations, usage
from .test_recovery import _events

pytestmark = pytest.mark.integration
V224 = {"OpenStack-API-Version": "compute 2.24"}


def _abort(stack, sid, mid, headers=V224):
    return stack.delete(f"{SERVERS}/{sid}/migrations/{mid}", headers=headers)


def _start_live(stack, sid) -> int:
    assert stack.action(sid, {"os-migrateLive": {"host": "node2", "block_migration": "auto"}}).status_code == 202
    running = stack.wait_until(lambda: [m for m in migrations(stack, instance_uuid=sid) if m["status"] == "running"],
                               what="a running live migration")
    return running[0]["id"]


def test_abort_stops_a_running_live_migration_and_the_guest_stays_on_the_source(make_stack):
    stack = make_stack(start_workers=False)
    stack.start_worker("node1", FAKE_DRIVER_DELAYS="live_migrate=60")
    stack.start_worker("node2")
    stack.wait_ready()
    sid = boot_on(stack, "node1", name="held")

    r = _abort(stack, sid, 1)
    assert r.status_code == 409 and "task_state None" in r.json()["conflictingRequest"]["message"], r.text
    mid = _start_live(stack, sid)
    assert _abort(stack, sid, mid, headers={"OpenStack-API-Version": "compute 2.23"}).status_code == 404
    assert _abort(stack, sid, 987654).status_code == 404
    assert _abort(stack, sid, "nope").status_code == 404
    assert usage(stack)["node2"] == (1, 512)  # the destination holds the claim while it runs

    assert _abort(stack, sid, mid).status_code == 202
    server = stack.wait_status(sid, "ACTIVE", timeout=30)
    assert server["OS-EXT-SRV-ATTR:host"] == "node1"
    assert sid in driver(stack, "node1").list_instances() and sid not in driver(stack, "node2").list_instances()
    assert [(m["id"], m["status"]) for m in migrations(stack, instance_uuid=sid)] == [(mid, "cancelled")]
    assert usage(stack) == {"node1": (1, 512), "node2": (0, 0)}
    assert actions(stack, sid)[:2] == ["live_migration_cancel", "live-migration"]
    cancel = _events(stack, sid, "live_migration_cancel")
    assert [(e["event"], e["result"]) for e in cancel["events"]] == [("compute_live_migration_abort", "Success")]

    # A migration that is not running any more cannot be aborted (400) while another one runs.
    second = _start_live(stack, sid)
    r = _abort(stack, sid, mid)
    assert r.status_code == 400 and "cancelled" in r.json()["badRequest"]["message"], r.text
    assert _abort(stack, sid, second).status_code == 202
    assert stack.wait_status(sid, "ACTIVE", timeout=30)["OS-EXT-SRV-ATTR:host"] == "node1"
    assert [m["status"] for m in migrations(stack, instance_uuid=sid)] == ["cancelled", "cancelled"]
