"""Work whose message never reached the broker is re-sent: no instance stays stuck in a task_state."""
from compute_platform import tasknames
from devtools.services import free_port


def test_an_action_committed_while_the_broker_was_unreachable_is_redriven(make_stack):
    stack = make_stack(hosts=("lost1",), STALE_TASK_SECONDS=1)
    stack.start_conductor()
    sid = stack.boot(name="survivor").json()["server"]["id"]
    stack.wait_status(sid, "ACTIVE")

    # The API loses its broker: the request still commits and answers 202 (the send is logged, not
    # raised), and the instance is left claimed with no message behind it.
    stack.restart_api(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert stack.action(sid, {"os-stop": None}).status_code == 202
    assert stack.server(sid)["OS-EXT-STS:task_state"] == "powering-off"
    assert tasknames.STOP_INSTANCE in (stack.workdir / "api.log").read_text()

    # What beat sends every 5 minutes: the conductor finds the stale claim and re-sends its task.
    stack.restart_api()
    stack.send_task(tasknames.REDRIVE_STALE_TASKS, queue=tasknames.CONDUCTOR_QUEUE)
    server = stack.wait_status(sid, "SHUTOFF")
    assert server["OS-EXT-STS:power_state"] == 4
    actions = stack.get(f"/compute/v2.1/servers/{sid}/os-instance-actions").json()["instanceActions"]
    stop = next(a for a in actions if a["action"] == "stop")
    detail = stack.get(f"/compute/v2.1/servers/{sid}/os-instance-actions/{stop['request_id']}").json()
    assert [e["event"] for e in detail["instanceAction"]["events"]] == ["compute_stop_instance"]  # done once
