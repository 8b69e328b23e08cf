"""The multi-host fake worker: which host a task runs as, from the queue its message came on."""
import pytest
from django.core.management.base import CommandError

from compute_platform.compute.management.commands.compute_worker import parse_hosts
from tasks import runtime


def test_host_ranges_and_lists():
    assert parse_hosts("node1..node3") == ["node1", "node2", "node3"]
    assert parse_hosts("a, b") == ["a", "b"]
    assert len(parse_hosts("sim1..sim1000")) == 1000
    for bad in ("a.b", "x@y", ""):
        with pytest.raises(CommandError):
            parse_hosts(bad)


def test_a_task_runs_as_the_host_of_its_queue_and_only_a_served_one():
    runtime.hosts_set(["sim1", "sim2"])
    try:
        runtime.task_host_enter("compute.sim2")
        assert runtime.this_host() == "sim2"
        runtime.task_host_leave()
        runtime.task_host_enter("compute.other")  # not served here: no host, so the task fails loudly
        with pytest.raises(RuntimeError):
            runtime.this_host()
        runtime.task_host_leave()
        with runtime.serving("sim1"):
            assert runtime.this_host() == "sim1"
        with pytest.raises(RuntimeError):
            with runtime.serving("sim3"):
                pass
    finally:
        runtime.task_host_leave()
        runtime.hosts_set([])
