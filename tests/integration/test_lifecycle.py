"""A server's whole life through the REST API, the host queues and real worker processes."""
import pytest

from hypervisors.fake import FakeDriver


def test_boot_act_and_delete_through_every_state(stack):
    r = stack.boot(name="life")
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    assert r.json()["server"]["adminPass"]
    server = stack.wait_status(sid, "ACTIVE")
    host = server["OS-EXT-SRV-ATTR:host"]
    assert host in stack.hosts and server["OS-EXT-STS:power_state"] == 1 and server["OS-SRV-USG:launched_at"]

    steps = [({"os-stop": None}, "SHUTOFF", 4), ({"os-start": None}, "ACTIVE", 1),
             ({"reboot": {"type": "SOFT"}}, "ACTIVE", 1), ({"pause": None}, "PAUSED", 3),
             ({"reboot": {"type": "HARD"}}, "ACTIVE", 1), ({"suspend": None}, "SUSPENDED", 7),
             ({"resume": None}, "ACTIVE", 1), ({"pause": None}, "PAUSED", 3), ({"unpause": None}, "ACTIVE", 1)]
    driver = FakeDriver(host=host, state_dir=stack.env["COMPUTE_STATE_DIR"] + "/fake")
    for body, status, power in steps:
        r = stack.action(sid, body)
        assert r.status_code == 202, (body, r.text)
        server = stack.wait_status(sid, status)
        assert server["OS-EXT-STS:power_state"] == power, body
        assert driver.get_info(sid).power_state == power, body  # the hypervisor agrees with the API

    out = stack.action(sid, {"os-getConsoleOutput": {"length": 50}})
    assert out.status_code == 200 and "fake:" in out.json()["output"]

    actions = stack.get(f"/compute/v2.1/servers/{sid}/os-instance-actions").json()["instanceActions"]
    assert [a["action"] for a in reversed(actions)] == [
        "create", "stop", "start", "reboot", "pause", "reboot", "suspend", "resume", "pause", "unpause"]
    create = stack.get(f"/compute/v2.1/servers/{sid}/os-instance-actions/{actions[-1]['request_id']}").json()
    events = {e["event"]: e["result"] for e in create["instanceAction"]["events"]}
    assert events == {"conductor_schedule_and_build_instances": "Success",
                      "compute__do_build_and_run_instance": "Success"}

    assert stack.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
    stack.wait_gone(sid)
    assert sid not in driver.list_instances()
    hyp = {h["hypervisor_hostname"]: h for h in stack.get("/compute/v2.1/os-hypervisors/detail").json()["hypervisors"]}
    assert hyp[host]["memory_mb_used"] == 0 and hyp[host]["vcpus_used"] == 0  # claim released


@pytest.mark.parametrize("vm_state_action,refused", [
    ({"os-start": None}, "Cannot 'start' instance"), ({"unpause": None}, "Cannot 'unpause' instance"),
    ({"resume": None}, "Cannot 'resume' instance")])
def test_actions_not_allowed_in_the_current_state_get_409(api, vm_state_action, refused):
    # the module's stack (conftest `api`): each case boots its own server, and the other tests here, which
    # count the hosts' usage, keep a stack of their own
    sid = api.boot().json()["server"]["id"]
    api.wait_status(sid, "ACTIVE")
    r = api.action(sid, vm_state_action)
    assert r.status_code == 409
    assert r.json()["conflictingRequest"]["message"].startswith(refused)
    assert "vm_state active" in r.json()["conflictingRequest"]["message"]


def test_a_spawn_failure_puts_the_server_in_error_with_a_fault_and_frees_the_host(stack):
    sid = stack.boot(metadata={"fake:fail": "spawn"}).json()["server"]["id"]
    server = stack.wait_status(sid, "ERROR")
    assert "injected spawn failure" in server["fault"]["message"]
    actions = stack.get(f"/compute/v2.1/servers/{sid}/os-instance-actions").json()["instanceActions"]
    assert actions[0]["message"] == "Error"
    hyp = stack.get("/compute/v2.1/os-hypervisors/statistics").json()["hypervisor_statistics"]
    assert hyp["memory_mb_used"] == 0
    assert stack.delete(f"/compute/v2.1/servers/{sid}").status_code == 204
    stack.wait_gone(sid)
