"""The build task's reads: a server created without block devices or ports reads no volume or port rows when it
builds, and its host row comes with the instance's."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compute_platform import tasknames
from compute_platform.compute.models import Instance
from compute_platform.compute.services.instances import instance_create
from compute_platform.compute.states import VmState
from tasks import manager, runtime

pytestmark = pytest.mark.service


@pytest.fixture
def as_host(settings, tmp_path):
    """Run compute work in this process as a fake host, as a worker would (its driver state under tmp_path)."""
    settings.COMPUTE_DRIVER = "fake"
    settings.COMPUTE_STATE_DIR = settings.FAKE_DRIVER_STATE_DIR = tmp_path
    yield runtime.host_set
    runtime.hosts_set([])


def test_a_build_without_block_devices_or_ports_reads_neither(world, committed, enqueued, as_host):
    world.host("node1")
    (instance,), _ = committed(instance_create, context=world.context(), name="vm", flavor=world.flavor,
                               image=world.image)
    (sent,) = enqueued
    assert sent.name == tasknames.BUILD_INSTANCE and sent.kwargs["block_devices"] is False
    assert sent.kwargs["ports"] is False
    as_host("node1")
    with CaptureQueriesContext(connection) as queries:
        manager.build_instance(**sent.kwargs)
    assert Instance.objects.get(pk=instance.pk).vm_state == VmState.ACTIVE
    sql = [q["sql"] for q in queries]
    assert not [s for s in sql if "volumes_" in s or "network_port" in s], sql
    assert not [s for s in sql if s.startswith("SELECT") and 'FROM "compute_host"' in s], sql
    assert len(sql) <= 6, sql
