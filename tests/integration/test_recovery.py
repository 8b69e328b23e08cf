"""A worker killed with SIGKILL mid-operation: the restarted worker converges its host."""
from hypervisors.fake import FakeDriver


def _events(stack, sid, action):
    actions = stack.get(f"/compute/v2.1/servers/{sid}/os-instance-actions").json()["instanceActions"]
    req = next(a["request_id"] for a in actions if a["action"] == action)
    return stack.get(f"/compute/v2.1/servers/{sid}/os-instance-actions/{req}").json()["instanceAction"]


def _driver(stack, host):
    return FakeDriver(host=host, state_dir=stack.env["COMPUTE_STATE_DIR"] + "/fake")


def test_kill_during_build_ends_in_error_with_a_fault_and_nothing_left(make_stack):
    stack = make_stack(hosts=("r1",), start_workers=False)
    stack.start_worker("r1", FAKE_DRIVER_DELAYS="spawn=30")
    stack.wait_ready()
    sid = stack.boot(name="interrupted").json()["server"]["id"]
    stack.wait_until(lambda: stack.server(sid)["OS-EXT-STS:task_state"] == "spawning", what="spawning")
    stack.kill_worker("r1")

    stack.start_worker("r1")
    server = stack.wait_status(sid, "ERROR")
    assert "interrupted by a restart of the compute worker on r1" in server["fault"]["message"]
    assert sid not in _driver(stack, "r1").list_instances()
    stats = stack.get("/compute/v2.1/os-hypervisors/statistics").json()["hypervisor_statistics"]
    assert stats["memory_mb_used"] == 0  # the claim went back
    assert _events(stack, sid, "create")["message"] == "Error"
    # The ERROR server deletes normally afterwards.
    assert stack.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
    stack.wait_gone(sid)


def test_kill_during_delete_finishes_the_delete_on_restart(make_stack):
    stack = make_stack(hosts=("r2",), start_workers=False)
    stack.start_worker("r2", FAKE_DRIVER_DELAYS="destroy=30")
    stack.wait_ready()
    sid = stack.boot(name="doomed").json()["server"]["id"]
    stack.wait_status(sid, "ACTIVE")
    assert stack.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
    # Wait until the worker is inside the destroy call (its event started, not finished).
    stack.wait_until(lambda: any(e["event"] == "compute_terminate_instance" and e["finish_time"] is None
                                 for e in _events(stack, sid, "delete")["events"]), what="destroy in progress")
    stack.kill_worker("r2")
    assert sid in _driver(stack, "r2").list_instances()  # the kill came before the destroy took effect

    stack.start_worker("r2")
    stack.wait_gone(sid)
    assert sid not in _driver(stack, "r2").list_instances()
    stats = stack.get("/compute/v2.1/os-hypervisors/statistics").json()["hypervisor_statistics"]
    assert stats["memory_mb_used"] == 0 and stats["running_vms"] == 0


def test_kill_during_stop_is_redone_and_power_state_synced(make_stack):
    stack = make_stack(hosts=("r3",), start_workers=False)
    stack.start_worker("r3", FAKE_DRIVER_DELAYS="power_off=30")
    stack.wait_ready()
    sid = stack.boot(name="stopping").json()["server"]["id"]
    stack.wait_status(sid, "ACTIVE")
    assert stack.action(sid, {"os-stop": None}).status_code == 202
    stack.wait_until(lambda: any(e["finish_time"] is None for e in _events(stack, sid, "stop")["events"]),
                     what="power_off in progress")
    stack.kill_worker("r3")
    stack.start_worker("r3")
    server = stack.wait_status(sid, "SHUTOFF")
    assert server["OS-EXT-STS:power_state"] == 4
    assert _driver(stack, "r3").get_info(sid).power_state == 4


def test_restart_reaps_unknown_guests_and_syncs_a_guest_that_died(make_stack):
    stack = make_stack(hosts=("r4",))
    sid = stack.boot(name="keeper").json()["server"]["id"]
    stack.wait_status(sid, "ACTIVE")
    stack.kill_worker("r4")
    driver = _driver(stack, "r4")
    from hypervisors.base import InstanceSpec, PowerState
    driver.spawn(InstanceSpec(uuid="00000000-0000-0000-0000-00000000dead", name="orphan", vcpus=1,
                              memory_mb=64, root_gb=0))
    driver.force_power_state(sid, PowerState.CRASHED, reason="test")
    stack.start_worker("r4")
    stack.wait_until(lambda: stack.server(sid)["status"] == "SHUTOFF", what="crashed guest noticed")
    assert stack.server(sid)["OS-EXT-STS:power_state"] == 6
    assert driver.list_instances() == [sid]  # the orphan was reaped, ours kept
