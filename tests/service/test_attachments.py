"""Attachment rules (os-volume_attachments, Cinder's volume delete): no double attach, one server per volume
unless multiattach, no delete while attached, no attach to a server that is busy or has no guest."""
import pytest

from compute_platform import tasknames
from compute_platform.compute.exceptions import BadRequest, Conflict
from compute_platform.compute.states import TaskState, VmState
from compute_platform.volumes.models import Export, Volume, VolumeAttachment
from compute_platform.volumes.services.attachments import (attachment_attached, attachment_detached, volume_attach,
                                                          volume_detach)
from compute_platform.volumes.services.volumes import volume_delete

from .conftest import Sent, concurrently

pytestmark = pytest.mark.service


def make_volume(world, *, multiattach=False, name="vol") -> Volume:
    export, _ = Export.objects.get_or_create(name="e1", share="/srv/e1", fstype="bind")
    return Volume.objects.create(name=name, project=world.project, user=world.user, export=export, size=1,
                                 status="available", multiattach=multiattach)


def status(volume: Volume) -> str:
    return Volume.objects.values_list("status", flat=True).get(pk=volume.pk)


@pytest.fixture
def server(world):
    return world.instance(host=world.host("node1"), vm_state=VmState.ACTIVE, name="s1")


def attach(world, server, volume, device=None):
    return volume_attach(context=world.context(), instance=server, volume=volume, device=device)


def test_attach_records_and_enqueues_on_the_servers_host(world, committed, enqueued, server):
    vol, other = make_volume(world), make_volume(world, name="other")
    ctx = world.context()
    att = committed(volume_attach, context=ctx, instance=server, volume=vol, device=None)
    assert (att.status, att.device, att.host, status(vol)) == ("attaching", "/dev/vdb", "node1", "attaching")
    assert enqueued == [Sent(tasknames.ATTACH_VOLUME, tasknames.host_queue("node1"),
                             {"attachment_id": str(att.id), "request_id": ctx.request_id})]
    assert attach(world, server, other).device == "/dev/vdc", "the next free device name"
    assert attachment_attached(attachment_id=att.id) and status(vol) == "in-use"


def test_double_attach_is_refused(world, server):
    vol = make_volume(world)
    attach(world, server, vol)
    with pytest.raises(BadRequest, match="already attached to server") as exc:
        attach(world, server, vol)
    assert exc.value.code == 400 and VolumeAttachment.objects.count() == 1


def test_a_volume_in_use_attaches_to_a_second_server_only_if_multiattach(world):
    host = world.host("node1")
    s1, s2 = (world.instance(host=host, name=n) for n in ("s1", "s2"))
    single, shared = make_volume(world), make_volume(world, multiattach=True, name="shared")
    attachment_attached(attachment_id=attach(world, s1, single).id)
    with pytest.raises(BadRequest, match="only a multiattach volume"):
        attach(world, s2, single)
    for s in (s1, s2):
        attachment_attached(attachment_id=attach(world, s, shared).id)
    assert status(shared) == "in-use" and VolumeAttachment.objects.filter(volume=shared).count() == 2


def test_a_device_name_in_use_is_refused(world, server):
    attach(world, server, make_volume(world), device="/dev/vdb")
    with pytest.raises(BadRequest, match="/dev/vdb is already in use"):
        attach(world, server, make_volume(world, name="v2"), device="/dev/vdb")
    with pytest.raises(BadRequest, match="Invalid device name"):
        attach(world, server, make_volume(world, name="v3"), device="/dev/sda")


@pytest.mark.parametrize("vm_state, task_state", [(VmState.BUILDING, TaskState.SPAWNING),
                                                  (VmState.ERROR, None),
                                                  (VmState.ACTIVE, TaskState.REBOOTING)])
def test_no_attach_to_a_server_without_a_settled_guest(world, enqueued, vm_state, task_state):
    inst = world.instance(host=world.host("node1"), vm_state=vm_state, task_state=task_state)
    vol = make_volume(world)
    with pytest.raises(Conflict) as exc:
        attach(world, inst, vol)
    assert exc.value.code == 409 and status(vol) == "available" and not VolumeAttachment.objects.exists()


def test_an_attached_volume_cannot_be_deleted_until_detached(world, committed, enqueued, server):
    vol = make_volume(world)
    att = attach(world, server, vol)
    with pytest.raises(BadRequest, match="must not be attached"):
        volume_delete(context=world.context(), volume=vol)  # still attaching
    attachment_attached(attachment_id=att.id)
    with pytest.raises(BadRequest, match="it is in-use"):
        volume_delete(context=world.context(), volume=vol)
    volume_detach(context=world.context(), instance=server, attachment=att)
    assert status(vol) == "detaching"
    attachment_detached(attachment_id=att.id)
    ctx = world.context()
    committed(volume_delete, context=ctx, volume=vol)
    assert status(vol) == "deleting"
    assert enqueued[-1] == Sent(tasknames.DELETE_VOLUME, tasknames.VOLUME_QUEUE,
                                {"volume_id": str(vol.id), "request_id": ctx.request_id})


def test_concurrent_attaches_of_one_volume_to_two_servers_let_one_win(world_committed):
    world = world_committed
    host = world.host("node1")
    servers = [world.instance(host=host, name=f"s{i}") for i in range(4)]
    vol = make_volume(world)

    results = concurrently(lambda i: attach(world, servers[i], vol), len(servers))
    won = [r for r in results if isinstance(r, VolumeAttachment)]
    refused = [r for r in results if not isinstance(r, VolumeAttachment)]
    assert len(won) == 1 and all(isinstance(r, BadRequest) for r in refused), results
    assert VolumeAttachment.objects.filter(volume=vol).count() == 1
