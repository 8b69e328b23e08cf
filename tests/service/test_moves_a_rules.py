"""Moves A in the service tier: where rebuild, createImage, shelve, shelveOffload, unshelve, rescue and
unrescue may start (Nova's check_instance_state, written out here), what each claims and enqueues, the lock,
the shelved-offload sweep, and concurrent unshelves that never overcommit a host."""
import dataclasses
from datetime import timedelta

import pytest
from django.utils import timezone

from compute_platform import tasknames
from compute_platform.compute.exceptions import Conflict
from compute_platform.compute.models import Host, Instance, InstanceAction
from compute_platform.compute.services.instance_lock import instance_lock
from compute_platform.compute.services.instance_rebuild import instance_rebuild
from compute_platform.compute.services.instance_rescue import instance_rescue, instance_unrescue
from compute_platform.compute.services.instance_shelve import (instance_shelve, instance_shelve_offload,
                                                               instance_unshelve, instances_offload_shelved)
from compute_platform.compute.services.instance_snapshot import instance_create_image
from compute_platform.compute.states import VmState
from compute_platform.images.models import Image

from .conftest import Sent, concurrently

pytestmark = pytest.mark.service

ALLOWED = {
    "rebuild": {"active", "stopped", "error"},
    "createImage": {"active", "stopped", "paused", "suspended"},
    "shelve": {"active", "stopped", "paused", "suspended"},
    "shelveOffload": {"shelved"},
    "unshelve": {"shelved", "shelved_offloaded"},
    "rescue": {"active", "stopped", "error"},
    "unrescue": {"rescued"},
}
CLAIMS = {
    "rebuild": ("rebuilding", tasknames.REBUILD_INSTANCE),
    "createImage": ("image_snapshot", tasknames.SNAPSHOT_INSTANCE),
    "shelve": ("shelving", tasknames.SHELVE_INSTANCE),
    "shelveOffload": ("shelving_offloading", tasknames.SHELVE_OFFLOAD_INSTANCE),
    "unshelve": ("unshelving", tasknames.UNSHELVE_INSTANCE),
    "rescue": ("rescuing", tasknames.RESCUE_INSTANCE),
    "unrescue": ("unrescuing", tasknames.UNRESCUE_INSTANCE),
}
VM_STATES = ["building", "active", "stopped", "paused", "suspended", "error", "shelved", "shelved_offloaded",
             "rescued"]


def _image():
    return Image.objects.create(name="img", status="active", disk_format="qcow2")


def start(action, *, context, instance):
    calls = {
        "rebuild": lambda: instance_rebuild(context=context, instance=instance, image=_image()),
        "createImage": lambda: instance_create_image(context=context, instance=instance, name="snap"),
        "shelve": lambda: instance_shelve(context=context, instance=instance),
        "shelveOffload": lambda: instance_shelve_offload(context=context, instance=instance),
        "unshelve": lambda: instance_unshelve(context=context, instance=instance),
        "rescue": lambda: instance_rescue(context=context, instance=instance),
        "unrescue": lambda: instance_unrescue(context=context, instance=instance),
    }
    return calls[action]()


@pytest.mark.parametrize("vm_state", VM_STATES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_each_move_starts_only_from_its_vm_states(world, committed, enqueued, action, vm_state):
    host = world.host("node1")
    inst = world.instance(host=None if vm_state == "shelved_offloaded" else host, vm_state=vm_state)
    ctx = world.context()
    if vm_state not in ALLOWED[action]:
        with pytest.raises(Conflict, match=f"while it is in vm_state {vm_state}"):
            committed(start, action=action, context=ctx, instance=inst)
        assert Instance.objects.get(pk=inst.pk).task_state is None and enqueued == []
        return
    committed(start, action=action, context=ctx, instance=inst)
    task_state, task_name = CLAIMS[action]
    row = Instance.objects.get(pk=inst.pk)
    assert (row.vm_state, row.task_state, row.host_id) == (vm_state, task_state, host.pk)
    assert enqueued == [Sent(task_name, tasknames.host_queue("node1"),
                             {"instance_uuid": str(inst.uuid), "request_id": ctx.request_id})]
    assert InstanceAction.objects.get(request_id=ctx.request_id).action == action


def test_a_lock_refuses_members_and_lets_admins_through(world, committed, enqueued):
    inst = world.instance(host=world.host("node1"))
    instance_lock(context=world.context(), instance=inst, reason="maintenance")
    inst.refresh_from_db()
    assert (inst.locked_by, inst.locked_reason) == ("owner", "maintenance")
    for action in ("rebuild", "shelve", "rescue", "createImage"):
        with pytest.raises(Conflict, match=f"Instance {inst.uuid} is locked"):
            start(action, context=world.context(), instance=inst)
    assert enqueued == []
    committed(start, action="shelve", context=dataclasses.replace(world.context(), roles=("admin",)),
              instance=inst)
    assert Instance.objects.get(pk=inst.pk).task_state == "shelving"


def test_the_sweep_offloads_servers_shelved_long_enough(world, committed, enqueued):
    host = world.host("node1")
    old, recent = world.instance(host=host, vm_state="shelved"), world.instance(host=host, vm_state="shelved")
    Instance.objects.filter(pk=old.pk).update(shelved_at=timezone.now() - timedelta(hours=2))
    Instance.objects.filter(pk=recent.pk).update(shelved_at=timezone.now())
    assert instances_offload_shelved(offload_after=-1) == []
    sent = committed(instances_offload_shelved, offload_after=3600)
    assert sent == [str(old.uuid)]
    assert Instance.objects.get(pk=old.pk).task_state == "shelving_offloading"
    assert [(s.name, s.kwargs["instance_uuid"]) for s in enqueued] == [(tasknames.SHELVE_OFFLOAD_INSTANCE,
                                                                        str(old.uuid))]


def test_concurrent_unshelves_never_overcommit_the_host(world_committed, enqueued):
    world = world_committed
    host = world.host("node1", memory_mb=2048)  # room for 4 servers of 512 MB
    instances = [world.instance(host=None, vm_state=VmState.SHELVED_OFFLOADED, name=f"s{i}") for i in range(8)]
    results = concurrently(lambda i: instance_unshelve(context=world.context(), instance=instances[i]), 8)
    assert all(r is None for r in results), results  # a failed placement is accepted, as Nova's
    placed = Instance.objects.filter(task_state="unshelving", host=host).count()
    assert placed == 4
    assert Host.objects.values_list("memory_mb_used", flat=True).get(pk=host.pk) == 4 * 512
    failed = InstanceAction.objects.filter(action="unshelve", message="Error").count()
    assert failed == 4 and Instance.objects.filter(vm_state="shelved_offloaded", task_state=None).count() == 4
    assert len(enqueued) == 4
