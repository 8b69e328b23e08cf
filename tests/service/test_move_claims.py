"""A move's claims in the database: held on both hosts while the move is open, owners swapped when the guest
runs on the destination, each given back exactly once, and counted by the hosts' usage resync."""
import pytest

from compute_platform import tasknames
from compute_platform.compute.exceptions import BadRequest, Conflict
from compute_platform.compute.models import Flavor, Host, Instance, Migration
from compute_platform.compute.models.migrations import MigrationStatus as MS
from compute_platform.compute.services.hosts import host_usage_resync
from compute_platform.compute.services.instance_moves import instance_resize, instance_resize_revert
from compute_platform.compute.services.migration_claims import migration_source_claim_release
from compute_platform.compute.services.migration_lifecycle import BACK, TO_DEST, migration_step
from compute_platform.compute.states import TaskState as TS, VmState

pytestmark = pytest.mark.service


def used(name: str) -> tuple[int, int]:
    h = Host.objects.get(name=name)
    return h.vcpus_used, h.memory_mb_used


def test_resize_claims_on_both_hosts_swap_owners_and_are_given_back_once(world, committed, enqueued):
    src, dst = world.host("src"), world.host("dst")
    Host.objects.filter(pk=src.pk).update(vcpus_used=1, memory_mb_used=512, disk_gb_used=1)
    big = Flavor.objects.create(flavorid="3", name="m1.medium", vcpus=2, memory_mb=4096, root_gb=40)
    inst = world.instance(host=src)
    m = committed(instance_resize, context=world.context(), instance=inst, flavor=big)
    assert (m.dest_host_id, m.status, m.dest_claimed) == (dst.pk, MS.PRE_MIGRATING, True)
    assert [(s.name, s.queue) for s in enqueued] == [(tasknames.PREP_RESIZE, "compute.dst")]
    assert used("src") == (1, 512) and used("dst") == (2, 4096)
    with pytest.raises(Conflict):  # the task_state is claimed: a second move is refused
        instance_resize(context=world.context(), instance=inst, flavor=big)

    # The guest runs on the destination: the claims change owners, the counters do not move.
    Instance.objects.filter(pk=inst.pk).update(task_state=TS.RESIZE_MIGRATED)
    Migration.objects.filter(pk=m.pk).update(status=MS.POST_MIGRATING)
    assert migration_step(migration_id=m.pk, from_status=MS.POST_MIGRATING, to_status=MS.FINISHED,
                          instance_uuid=str(inst.uuid), from_task_state=TS.RESIZE_MIGRATED, to_task_state=None,
                          move=TO_DEST, instance_values={"vm_state": VmState.RESIZED})
    inst.refresh_from_db()
    m.refresh_from_db()
    assert (inst.host_id, inst.vcpus, inst.resources_claimed) == (dst.pk, 2, True)
    assert (m.dest_claimed, m.source_claimed) == (False, True)
    assert used("src") == (1, 512) and used("dst") == (2, 4096)
    # A repeated delivery of the same step changes nothing.
    assert not migration_step(migration_id=m.pk, from_status=MS.POST_MIGRATING, to_status=MS.FINISHED,
                              instance_uuid=str(inst.uuid), from_task_state=TS.RESIZE_MIGRATED, to_task_state=None,
                              move=TO_DEST)
    # The hosts' resync counts the migration's claim on the source beside the instance's on the destination.
    assert host_usage_resync(name="src")["memory_mb"] == 512 and host_usage_resync(name="dst")["memory_mb"] == 4096

    # Revert: the instance goes back with the claim the migration kept; the destination's is given back.
    committed(instance_resize_revert, context=world.context(), instance=inst)
    assert migration_step(migration_id=m.pk, from_status=MS.REVERTING, to_status=MS.REVERTING,
                          instance_uuid=str(inst.uuid), from_task_state=TS.RESIZE_REVERTING,
                          to_task_state=TS.RESIZE_REVERTING, move=BACK)
    inst.refresh_from_db()
    assert (inst.host_id, inst.vcpus, inst.resources_claimed) == (src.pk, 1, True)
    assert used("src") == (1, 512) and used("dst") == (0, 0)
    assert not migration_source_claim_release(migration_id=m.pk)  # it went back to the instance: nothing to give


def test_resize_refusals(world, committed, enqueued):
    world.host("only")
    inst = world.instance(host=Host.objects.get(name="only"))
    with pytest.raises(BadRequest, match="must change flavor"):
        instance_resize(context=world.context(), instance=inst, flavor=world.flavor)
    big = Flavor.objects.create(flavorid="3", name="m1.medium", vcpus=2, memory_mb=4096, root_gb=40)
    with pytest.raises(BadRequest, match="No valid host"):  # the source is never the target unless allowed
        instance_resize(context=world.context(), instance=inst, flavor=big)
    inst.refresh_from_db()
    assert inst.task_state is None and not Migration.objects.exists() and enqueued == []  # all rolled back


def test_same_host_resize_is_a_setting(world, committed, enqueued, settings):
    only = world.host("only")
    inst = world.instance(host=only)
    Host.objects.filter(pk=only.pk).update(vcpus_used=1, memory_mb_used=512, disk_gb_used=1)
    big = Flavor.objects.create(flavorid="3", name="m1.medium", vcpus=2, memory_mb=4096, root_gb=40)
    settings.ALLOW_RESIZE_TO_SAME_HOST = True
    m = committed(instance_resize, context=world.context(), instance=inst, flavor=big)
    assert m.source_host_id == m.dest_host_id == only.pk
    assert used("only") == (3, 4608)  # the old and the new flavor, until confirm or revert
    assert [(s.name, s.queue) for s in enqueued] == [(tasknames.PREP_RESIZE, "compute.only")]
