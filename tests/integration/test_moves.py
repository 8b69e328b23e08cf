"""Resize, cold and live migration and evacuate through the REST API, between real worker processes of two
(or three) fake hosts: the guest leaves one host's fake hypervisor and arrives on the other's, the claims are
held on both hosts until confirm or revert, and os-migrations records every move."""
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from hypervisors.base import PowerState
from hypervisors.fake import FakeDriver

pytestmark = pytest.mark.integration

SERVERS = "/compute/v2.1/servers"


def driver(stack, host) -> FakeDriver:
    return FakeDriver(host=host, state_dir=stack.env["COMPUTE_STATE_DIR"] + "/fake")


def usage(stack) -> dict:
    hyps = stack.get("/compute/v2.1/os-hypervisors/detail").json()["hypervisors"]
    return {h["hypervisor_hostname"]: (h["vcpus_used"], h["memory_mb_used"]) for h in hyps}


def migrations(stack, **params) -> list:
    # At 2.23, where migration_type is shown (Nova's body below it has none)
    r = stack.get("/compute/v2.1/os-migrations", params=params, headers={"OpenStack-API-Version": "compute 2.23"})
    assert r.status_code == 200, r.text
    return r.json()["migrations"]


def actions(stack, sid) -> list:
    return [a["action"] for a in stack.get(f"{SERVERS}/{sid}/os-instance-actions").json()["instanceActions"]]


def boot_on(stack, host, name="vm", flavor="1"):
    """Boot on `host`: the other hosts are disabled for the request."""
    others = [h for h in stack.hosts if h != host]
    for h in others:
        stack.request("PUT", "/compute/v2.1/os-services/disable", json={"host": h, "binary": "nova-compute"})
    try:
        sid = stack.boot(name=name, flavor=flavor).json()["server"]["id"]
    finally:
        for h in others:
            stack.request("PUT", "/compute/v2.1/os-services/enable", json={"host": h, "binary": "nova-compute"})
    assert stack.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == host
    return sid


STACK = {"users": {"mover": "movers"}}  # the module's shared stack (two hosts) for the first two tests


def test_resize_holds_both_claims_until_confirm_and_revert_goes_back(api):
    stack = api
    sid = boot_on(stack, "node1", flavor="1")  # m1.tiny: 1 vCPU, 512 MB
    assert stack.action(sid, {"resize": {"flavorRef": "1"}}).status_code == 400  # must change flavor
    assert stack.action(sid, {"confirmResize": None}).status_code == 409  # not resized

    assert stack.action(sid, {"resize": {"flavorRef": "3"}}).status_code == 202  # m1.medium: 2 vCPU, 4096 MB
    server = stack.wait_status(sid, "VERIFY_RESIZE")
    assert server["OS-EXT-SRV-ATTR:host"] == "node2" and server["flavor"]["id"] == "3"
    assert usage(stack) == {"node1": (1, 512), "node2": (2, 4096)}  # both held until confirm
    src, dst = driver(stack, "node1"), driver(stack, "node2")
    assert src.get_info(sid).power_state == PowerState.SHUTDOWN  # kept for a revert
    assert (dst.get_info(sid).power_state, dst.get_info(sid).memory_mb) == (PowerState.RUNNING, 4096)
    assert stack.action(sid, {"os-stop": None}).status_code == 409  # nothing else while VERIFY_RESIZE

    assert stack.action(sid, {"confirmResize": None}).status_code == 204
    stack.wait_status(sid, "ACTIVE")
    assert sid not in src.list_instances()
    assert usage(stack) == {"node1": (0, 0), "node2": (2, 4096)}
    [m] = migrations(stack, instance_uuid=sid)
    assert (m["migration_type"], m["status"], m["source_compute"], m["dest_compute"]) == (
        "resize", "confirmed", "node1", "node2")

    # Resize again, then revert: back on node2 at m1.medium, node1's claim given back.
    assert stack.action(sid, {"resize": {"flavorRef": "2"}}).status_code == 400  # its disk is smaller (20 < 40 GB)
    assert stack.action(sid, {"resize": {"flavorRef": "4"}}).status_code == 202
    stack.wait_status(sid, "VERIFY_RESIZE")
    assert usage(stack) == {"node1": (4, 8192), "node2": (2, 4096)}
    assert stack.action(sid, {"revertResize": None}).status_code == 202
    server = stack.wait_status(sid, "ACTIVE")
    assert server["OS-EXT-SRV-ATTR:host"] == "node2" and server["flavor"]["id"] == "3"
    assert usage(stack) == {"node1": (0, 0), "node2": (2, 4096)}
    assert sid not in src.list_instances() and dst.get_info(sid).memory_mb == 4096
    assert dst.get_info(sid).power_state == PowerState.RUNNING
    assert [m["status"] for m in migrations(stack, instance_uuid=sid)] == ["reverted", "confirmed"]
    assert migrations(stack, instance_uuid="a\x16>not-a-uuid") == []  # found by the fuzz test: was a 500
    assert actions(stack, sid)[:4] == ["revertResize", "resize", "confirmResize", "resize"]

    # A stopped server resizes stopped and stays stopped.
    assert stack.action(sid, {"os-stop": None}).status_code == 202
    stack.wait_status(sid, "SHUTOFF")
    assert stack.action(sid, {"resize": {"flavorRef": "4"}}).status_code == 202
    stack.wait_status(sid, "VERIFY_RESIZE")
    assert stack.action(sid, {"confirmResize": None}).status_code == 204
    assert stack.wait_status(sid, "SHUTOFF")["OS-EXT-SRV-ATTR:host"] == "node1"
    assert driver(stack, "node1").get_info(sid).power_state == PowerState.SHUTDOWN
    assert stack.delete(f"{SERVERS}/{sid}").status_code == 204  # the next test starts on empty hosts
    stack.wait_gone(sid)
    assert usage(stack) == {"node1": (0, 0), "node2": (0, 0)}


def test_cold_and_live_migration_policies_and_records(api):
    stack = api
    member = stack.token("mover", "mover-pw", "movers")
    sid = stack.boot(name="mine", token=member).json()["server"]["id"]
    source = stack.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"]
    other = "node2" if source == "node1" else "node1"
    for body in ({"migrate": None}, {"os-migrateLive": {"host": None, "block_migration": "auto"}},
                 {"evacuate": {}}):
        r = stack.action(sid, body, token=member)
        assert r.status_code == 403 and "Policy doesn't allow" in r.json()["forbidden"]["message"], body
    assert stack.get("/compute/v2.1/os-migrations", token=member).status_code == 403

    # Cold migration (admin) ends in VERIFY_RESIZE, as Nova's.
    assert stack.action(sid, {"migrate": None}).status_code == 202
    assert stack.wait_status(sid, "VERIFY_RESIZE")["OS-EXT-SRV-ATTR:host"] == other
    assert stack.action(sid, {"confirmResize": None}, token=member).status_code == 204
    stack.wait_status(sid, "ACTIVE")

    # Live migration to a named host; to its own host is a 400; to a missing host a 400.
    assert stack.action(sid, {"os-migrateLive": {"host": other, "block_migration": "auto"}}).status_code == 400
    assert stack.action(sid, {"os-migrateLive": {"host": "nowhere", "block_migration": False}}).status_code == 400
    r = stack.action(sid, {"os-migrateLive": {"host": source, "block_migration": "auto"}})
    assert r.status_code == 202, r.text
    server = stack.wait_status(sid, "ACTIVE")
    assert server["OS-EXT-SRV-ATTR:host"] == source
    assert sid in driver(stack, source).list_instances() and sid not in driver(stack, other).list_instances()
    assert "live-migrated" in driver(stack, source).get_console_output(sid)
    u = usage(stack)
    assert u[other] == (0, 0) and u[source] == (1, 512)
    # The scheduler picks when no host is named; a paused server migrates paused.
    assert stack.action(sid, {"pause": None}).status_code == 202
    stack.wait_status(sid, "PAUSED")
    assert stack.action(sid, {"os-migrateLive": {"host": None, "block_migration": "auto"}}).status_code == 202
    server = stack.wait_status(sid, "PAUSED")
    assert server["OS-EXT-SRV-ATTR:host"] == other
    assert driver(stack, other).get_info(sid).power_state == PowerState.PAUSED

    rows = migrations(stack, instance_uuid=sid)
    assert [(m["migration_type"], m["status"]) for m in rows] == [
        ("live-migration", "completed"), ("live-migration", "completed"), ("migration", "confirmed")]
    assert migrations(stack, migration_type="migration")[0]["instance_uuid"] == sid
    assert stack.get(f"{SERVERS}/{sid}/migrations").json() == {"migrations": []}  # none in progress
    assert stack.get(f"{SERVERS}/{sid}/migrations/{rows[0]['id']}").status_code == 404
    r = stack.post(f"{SERVERS}/{sid}/migrations/{rows[0]['id']}/action", json={"force_complete": None})
    assert r.status_code == 400
    done = stack.get(f"{SERVERS}/{sid}/os-instance-actions").json()["instanceActions"]
    live = stack.get(f"{SERVERS}/{sid}/os-instance-actions/{done[0]['request_id']}").json()["instanceAction"]
    assert done[0]["action"] == "live-migration"
    assert {e["event"]: e["result"] for e in live["events"]} == {
        "conductor_live_migrate_instance": "Success", "compute_pre_live_migration": "Success",
        "compute_live_migration": "Success"}


def test_concurrent_moves_onto_a_host_with_room_for_two_never_overcommit(make_stack):
    stack = make_stack(hosts=("big", "small"), start_workers=False)
    stack.start_worker("big")
    stack.start_worker("small", FAKE_HOST_MEMORY_MB=1024)  # room for two m1.tiny (512 MB)
    stack.wait_ready()
    sids = [boot_on(stack, "big", name=f"c{i}") for i in range(5)]

    def move(sid):
        return stack.action(sid, {"os-migrateLive": {"host": "small", "block_migration": "auto"}}).status_code

    with ThreadPoolExecutor(5) as pool:
        codes = list(pool.map(move, sids))
    assert sorted(codes) == [202, 202, 400, 400, 400], codes
    for sid in sids:
        stack.wait_until(lambda: stack.server(sid)["OS-EXT-STS:task_state"] is None, what=f"{sid} settled")
    hosts = [stack.server(sid)["OS-EXT-SRV-ATTR:host"] for sid in sids]
    assert hosts.count("small") == 2
    assert usage(stack) == {"big": (3, 1536), "small": (2, 1024)}


def test_anti_affinity_is_honoured_by_moves(make_stack):
    stack = make_stack(hosts=("a1", "a2", "a3"))
    group = stack.post("/compute/v2.1/os-server-groups",
                       json={"server_group": {"name": "apart", "policies": ["anti-affinity"]}}).json()["server_group"]
    body = {"server": {"name": "g", "imageRef": stack.image_id(), "flavorRef": "1"},
            "os:scheduler_hints": {"group": group["id"]}}
    sids = [stack.post(SERVERS, json=body).json()["server"]["id"] for _ in range(2)]
    hosts = {sid: stack.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] for sid in sids}
    first, second = sids
    # The first member may not join the second's host; the only other host is the free one.
    r = stack.action(first, {"os-migrateLive": {"host": hosts[second], "block_migration": "auto"}})
    assert r.status_code == 400 and "server_group_filter" in r.json()["badRequest"]["message"]
    assert stack.action(first, {"migrate": None}).status_code == 202
    server = stack.wait_status(first, "VERIFY_RESIZE")
    free = ({"a1", "a2", "a3"} - set(hosts.values())).pop()
    assert server["OS-EXT-SRV-ATTR:host"] == free


def test_evacuate_from_a_down_host_rebuilds_elsewhere_and_the_source_cleans_up_on_return(make_stack):
    stack = make_stack(hosts=("e1", "e2"), SERVICE_DOWN_TIME=3)
    sid = boot_on(stack, "e1")
    assert stack.action(sid, {"evacuate": {}}).status_code == 400  # e1 is up: its compute service is in use
    stack.kill_worker("e1")
    stack.wait_until(lambda: {s["host"]: s["state"] for s in stack.get("/compute/v2.1/os-services").json()[
        "services"]}["e1"] == "down", timeout=20, what="e1 down")
    r = stack.action(sid, {"evacuate": {"host": "e2"}})
    assert r.status_code == 200, r.text
    server = stack.wait_status(sid, "ACTIVE")
    assert server["OS-EXT-SRV-ATTR:host"] == "e2"
    assert sid in driver(stack, "e2").list_instances() and sid in driver(stack, "e1").list_instances()
    assert usage(stack)["e1"] == (0, 0)
    [m] = migrations(stack, instance_uuid=sid)
    assert (m["migration_type"], m["status"]) == ("evacuation", "done")
    stack.start_worker("e1")  # back: the evacuated guest goes from e1
    stack.wait_until(lambda: migrations(stack, instance_uuid=sid)[0]["status"] == "completed", what="completed")
    assert sid not in driver(stack, "e1").list_instances() and sid in driver(stack, "e2").list_instances()


def test_a_worker_killed_mid_move_finishes_the_step_at_restart_on_either_side(make_stack):
    """SIGKILL of the destination while it starts a resized guest, then of the source in the middle of a
    live migration: each restarted worker's recovery does the step it owed."""
    stack = make_stack(start_workers=False)
    stack.start_worker("node1", FAKE_DRIVER_DELAYS="live_migrate=4")
    stack.start_worker("node2", FAKE_DRIVER_DELAYS="finish_migration=4")
    stack.wait_ready()
    resized, live = boot_on(stack, "node1", name="resized"), boot_on(stack, "node1", name="live")

    assert stack.action(resized, {"resize": {"flavorRef": "3"}}).status_code == 202
    stack.wait_until(lambda: stack.server(resized)["OS-EXT-STS:task_state"] == "resize_migrated",
                     what="resize_migrated")
    stack.kill_worker("node2", signal.SIGKILL)
    stack.start_worker("node2")
    server = stack.wait_status(resized, "VERIFY_RESIZE", timeout=60)
    assert server["OS-EXT-SRV-ATTR:host"] == "node2"
    assert driver(stack, "node2").get_info(resized).power_state == PowerState.RUNNING

    assert stack.action(live, {"os-migrateLive": {"host": "node2", "block_migration": "auto"}}).status_code == 202
    stack.wait_until(lambda: [m["status"] for m in migrations(stack, instance_uuid=live)] == ["running"],
                     what="running")
    mig = migrations(stack, instance_uuid=live)[0]
    assert [m["id"] for m in stack.get(f"{SERVERS}/{live}/migrations").json()["migrations"]] == [mig["id"]]
    assert stack.post(f"{SERVERS}/{live}/migrations/{mig['id']}/action",
                      json={"force_complete": None}).status_code == 202
    stack.kill_worker("node1", signal.SIGKILL)
    stack.start_worker("node1")
    server = stack.wait_status(live, "ACTIVE", timeout=60)
    assert server["OS-EXT-SRV-ATTR:host"] == "node2"
    assert live not in driver(stack, "node1").list_instances() and live in driver(stack, "node2").list_instances()
    # node1 keeps the resized server's old flavor until confirm; node2 holds both servers.
    assert usage(stack) == {"node1": (1, 512), "node2": (3, 4608)}
