"""Heartbeats, down hosts, local delete, and the periodic power-state sync fanned out by the conductor."""
from compute_platform import tasknames
from hypervisors.base import PowerState
from hypervisors.fake import FakeDriver


def _states(stack):
    return {s["host"]: s["state"] for s in stack.get("/compute/v2.1/os-services").json()["services"]}


def test_a_dead_host_goes_down_is_skipped_and_its_deleted_guests_are_reaped_on_return(make_stack):
    stack = make_stack(hosts=("live1", "live2"), SERVICE_DOWN_TIME=3)
    sid = stack.boot(name="on-live1", availability_zone="nova").json()["server"]["id"]
    host = stack.wait_status(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"]
    other = "live2" if host == "live1" else "live1"
    stack.kill_worker(host)
    stack.wait_until(lambda: _states(stack)[host] == "down", timeout=20, what=f"{host} down")

    # New boots avoid the down host.
    for i in range(3):
        new = stack.boot(name=f"after-{i}").json()["server"]["id"]
        assert stack.wait_status(new, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == other

    # Deleting a server on a down host is done locally at once (Nova's local delete)...
    assert stack.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
    assert stack.server(sid) is None
    driver = FakeDriver(host=host, state_dir=stack.env["COMPUTE_STATE_DIR"] + "/fake")
    assert sid in driver.list_instances()
    # ...and the host's worker reaps the guest when it comes back.
    stack.start_worker(host)
    stack.wait_hosts_up([host])
    stack.wait_until(lambda: sid not in driver.list_instances(), what="guest reaped")


def test_periodic_power_sync_notices_a_guest_that_stopped_behind_our_back(make_stack):
    stack = make_stack(hosts=("sync1",))
    stack.start_conductor()
    sid = stack.boot(name="crashy").json()["server"]["id"]
    stack.wait_status(sid, "ACTIVE")
    FakeDriver(host="sync1", state_dir=stack.env["COMPUTE_STATE_DIR"] + "/fake").force_power_state(
        sid, PowerState.SHUTDOWN, reason="guest ran poweroff")
    assert stack.server(sid)["status"] == "ACTIVE"  # nobody has looked yet
    # What Celery beat sends every POWER_SYNC_INTERVAL seconds; the conductor fans it out per host.
    stack.send_task(tasknames.SYNC_POWER_STATES_ALL_HOSTS, queue=tasknames.CONDUCTOR_QUEUE)
    server = stack.wait_status(sid, "SHUTOFF")
    assert server["OS-EXT-STS:power_state"] == 4
    # The user can start it again as usual.
    assert stack.action(sid, {"os-start": None}).status_code == 202
    assert stack.wait_status(sid, "ACTIVE")["OS-EXT-STS:power_state"] == 1


def test_power_sync_stops_only_guests_reported_shut_down_not_unreadable_or_missing_ones(make_stack):
    """Nova's rules: SHUTDOWN or CRASHED stops an ACTIVE record; a guest the hypervisor could not report on
    (a transient error) is skipped this round; a guest not found is recorded NOSTATE and logged, not stopped."""
    stack = make_stack(hosts=("sync2",))
    stack.start_conductor()
    sids = {name: stack.boot(name=name).json()["server"]["id"] for name in ("flaky", "gone", "halted")}
    for sid in sids.values():
        stack.wait_status(sid, "ACTIVE")
    driver = FakeDriver(host="sync2", state_dir=stack.env["COMPUTE_STATE_DIR"] + "/fake")
    driver.inject_fault(sids["flaky"], "get_info", "libvirt: transient error")
    driver.destroy(sids["gone"])
    driver.force_power_state(sids["halted"], PowerState.CRASHED, reason="kernel panic")

    stack.send_task(tasknames.SYNC_POWER_STATES_ALL_HOSTS, queue=tasknames.CONDUCTOR_QUEUE)
    # One round handles all three guests: once `halted` is stopped, the others have been judged.
    assert stack.wait_status(sids["halted"], "SHUTOFF")["OS-EXT-STS:power_state"] == PowerState.CRASHED
    stack.wait_until(lambda: stack.server(sids["gone"])["OS-EXT-STS:power_state"] == PowerState.NOSTATE,
                     what="the missing guest recorded NOSTATE")
    assert stack.server(sids["gone"])["status"] == "ACTIVE"
    flaky = stack.server(sids["flaky"])
    assert (flaky["status"], flaky["OS-EXT-STS:power_state"]) == ("ACTIVE", PowerState.RUNNING)
    assert "skipped this round" in (stack.workdir / "worker-sync2.log").read_text()
