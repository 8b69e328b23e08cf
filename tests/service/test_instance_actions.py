"""Instance state moves: which actions each vm_state allows (DESIGN.md, after Nova), the 409 while a task
is in flight, the single conditional UPDATE that lets exactly one of two concurrent requests start, and what
each accepted request enqueues."""
import pytest

from compute_platform import tasknames
from compute_platform.compute.exceptions import Conflict
from compute_platform.compute.models import Host, Instance, InstanceAction
from compute_platform.compute.services.instances import instance_action, instance_delete
from compute_platform.compute.states import TaskState, VmState

from .conftest import Sent, concurrently

pytestmark = pytest.mark.service

# The table in DESIGN.md, written out here rather than read from states.ACTIONS, so a wrong rule fails.
ALLOWED = {
    "stop": {"active", "error"},
    "start": {"stopped"},
    "reboot": {"active"},
    "reboot_hard": {"active", "stopped", "paused", "suspended", "error"},
    "pause": {"active"},
    "suspend": {"active"},
    "unpause": {"paused"},
    "resume": {"suspended"},
}
CLAIMS = {  # action -> (task_state claimed, the task the host's worker runs)
    "stop": ("powering-off", tasknames.STOP_INSTANCE),
    "start": ("powering-on", tasknames.START_INSTANCE),
    "reboot": ("rebooting", tasknames.REBOOT_INSTANCE),
    "reboot_hard": ("rebooting_hard", tasknames.REBOOT_INSTANCE),
    "pause": ("pausing", tasknames.PAUSE_INSTANCE),
    "suspend": ("suspending", tasknames.SUSPEND_INSTANCE),
    "unpause": ("unpausing", tasknames.UNPAUSE_INSTANCE),
    "resume": ("resuming", tasknames.RESUME_INSTANCE),
}
VM_STATES = ["building", "active", "stopped", "paused", "suspended", "error", "deleted"]


@pytest.mark.parametrize("vm_state", VM_STATES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_each_action_starts_only_from_its_vm_states(world, committed, enqueued, action, vm_state):
    inst = world.instance(host=world.host("node1"), vm_state=vm_state)
    ctx = world.context()
    if vm_state not in ALLOWED[action]:
        with pytest.raises(Conflict, match=f"while it is in vm_state {vm_state}") as exc:
            committed(instance_action, context=ctx, instance=inst, action_key=action)
        assert exc.value.code == 409
        assert Instance.objects.get(pk=inst.pk).task_state is None and enqueued == []
        return
    committed(instance_action, context=ctx, instance=inst, action_key=action)
    task_state, task_name = CLAIMS[action]
    row = Instance.objects.get(pk=inst.pk)
    assert (row.vm_state, row.task_state) == (vm_state, task_state)
    assert enqueued == [Sent(task_name, tasknames.host_queue("node1"), {"instance_uuid": str(inst.uuid),
                                                          "request_id": ctx.request_id, "action_key": action})]
    assert InstanceAction.objects.get(request_id=ctx.request_id).instance_id == inst.pk


@pytest.mark.parametrize("task_state", ["spawning", "powering-off", "rebooting", "deleting"])
def test_no_action_starts_while_a_task_is_in_flight(world, committed, enqueued, task_state):
    inst = world.instance(host=world.host("node1"), vm_state=VmState.ACTIVE, task_state=task_state)
    with pytest.raises(Conflict, match=f"while it is in task_state {task_state}") as exc:
        committed(instance_action, context=world.context(), instance=inst, action_key="reboot_hard")
    assert exc.value.code == 409 and enqueued == []
    assert Instance.objects.get(pk=inst.pk).task_state == task_state


def test_an_instance_never_placed_cannot_act_but_can_be_deleted(world, committed, enqueued):
    inst = world.instance(host=None, vm_state=VmState.ERROR)
    with pytest.raises(Conflict, match="never placed on a host"):
        instance_action(context=world.context(), instance=inst, action_key="stop")
    committed(instance_delete, context=world.context(), instance=inst)  # a local delete: nothing to send
    assert Instance.objects.get(pk=inst.pk).vm_state == VmState.DELETED and enqueued == []


@pytest.mark.parametrize("vm_state", ["building", "active", "stopped", "paused", "suspended", "error"])
def test_delete_starts_from_any_state_and_overrides_a_task(world, committed, enqueued, vm_state):
    inst = world.instance(host=world.host("node1"), vm_state=vm_state, task_state=TaskState.POWERING_OFF)
    ctx = world.context()
    committed(instance_delete, context=ctx, instance=inst)
    committed(instance_delete, context=world.context(), instance=inst)  # repeated: accepted, changes nothing
    assert Instance.objects.get(pk=inst.pk).task_state == TaskState.DELETING
    assert enqueued == [Sent(tasknames.DELETE_INSTANCE, tasknames.host_queue("node1"),
                             {"instance_uuid": str(inst.uuid), "request_id": ctx.request_id})]


def test_delete_on_a_down_host_is_local_and_releases_the_claim(world, committed, enqueued):
    host = world.host("node1", last_heartbeat=None)
    inst = world.instance(host=host, vm_state=VmState.ACTIVE)
    Host.objects.filter(pk=host.pk).update(vcpus_used=1, memory_mb_used=512, disk_gb_used=1)
    committed(instance_delete, context=world.context(), instance=inst)
    row = Instance.objects.get(pk=inst.pk)
    assert (row.vm_state, row.task_state, row.resources_claimed) == (VmState.DELETED, None, False)
    assert Host.objects.values_list("memory_mb_used", flat=True).get(pk=host.pk) == 0 and enqueued == []


def test_of_concurrent_requests_exactly_one_starts(world_committed, enqueued):
    world = world_committed
    inst = world.instance(host=world.host("node1"), vm_state=VmState.ACTIVE)
    actions = ["stop", "reboot", "reboot_hard", "pause", "suspend"] * 2

    results = concurrently(lambda i: instance_action(context=world.context(), instance=inst,
                                                     action_key=actions[i]), len(actions))
    started = [actions[i] for i, r in enumerate(results) if r is None]
    assert len(started) == 1 and all(isinstance(r, Conflict) for r in results if r is not None), results
    assert Instance.objects.get(pk=inst.pk).task_state == CLAIMS[started[0]][0]
    assert [s.kwargs["action_key"] for s in enqueued] == started
    assert InstanceAction.objects.filter(instance=inst).count() == 1
