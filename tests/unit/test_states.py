"""The state model: API status derivation and which actions start from which vm_state."""
import pytest

from compute_platform import tasknames
from compute_platform.compute.states import (
    ACTIONS, TaskState, VmState, action_conflict_message, server_status,
)


@pytest.mark.parametrize("vm_state,task_state,status", [
    ("building", "scheduling", "BUILD"), ("building", "spawning", "BUILD"), ("active", None, "ACTIVE"),
    ("active", "rebooting", "REBOOT"), ("active", "rebooting_hard", "HARD_REBOOT"),
    ("stopped", "rebooting_hard", "HARD_REBOOT"), ("stopped", None, "SHUTOFF"), ("paused", None, "PAUSED"),
    ("suspended", None, "SUSPENDED"), ("error", None, "ERROR"), ("deleted", None, "DELETED"),
    ("active", "powering-off", "ACTIVE"), ("stopped", "powering-on", "SHUTOFF"), ("active", "deleting", "ACTIVE"),
])
def test_status_is_derived_as_nova_derives_it(vm_state, task_state, status):
    assert server_status(vm_state, task_state) == status


# DESIGN.md's table: the vm_states each action may start from.
EXPECTED_ALLOWED = {
    "stop": {"active", "error"}, "start": {"stopped"}, "reboot": {"active"},
    "reboot_hard": {"active", "stopped", "paused", "suspended", "error"},
    "pause": {"active"}, "unpause": {"paused"}, "suspend": {"active"}, "resume": {"suspended"},
}


@pytest.mark.parametrize("action", sorted(EXPECTED_ALLOWED))
def test_each_action_starts_only_from_its_vm_states(action):
    assert set(ACTIONS[action].allowed_from) == EXPECTED_ALLOWED[action]
    assert VmState.DELETED not in ACTIONS[action].allowed_from
    assert VmState.BUILDING not in ACTIONS[action].allowed_from


def test_every_action_claims_a_distinct_task_state_that_the_recovery_can_map_back():
    task_states = [rule.task_state for rule in ACTIONS.values()]
    assert len(set(task_states)) == len(task_states)
    assert set(task_states) <= set(TaskState.ALL)
    # Each action is a named task of the registry, run by the instance's host.
    assert all(rule.task_name in vars(tasknames).values() for rule in ACTIONS.values())


def test_conflict_messages_name_the_blocking_state():
    assert action_conflict_message("stop", "u", "stopped", None) == \
        "Cannot 'stop' instance u while it is in vm_state stopped"
    assert action_conflict_message("stop", "u", "active", "powering-off") == \
        "Cannot 'stop' instance u while it is in task_state powering-off"
