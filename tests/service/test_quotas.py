"""Quotas: the limits hold for one request and for many at once (the project's row lock serializes them)."""
import pytest

from compute_platform import tasknames
from compute_platform.compute.models import Instance, ProjectQuota
from compute_platform.compute.services.instances import instance_create
from compute_platform.compute.services.quotas import OverQuota, quota_set_update, quota_usage
from compute_platform.compute.states import VmState

from .conftest import concurrently

pytestmark = pytest.mark.service


def boot(world, *, name="vm", **kw):
    return instance_create(context=world.context(), name=name, flavor=world.flavor, image=world.image, **kw)


def set_limits(world, **limits):
    ProjectQuota.objects.update_or_create(project=world.project, defaults=limits)


def test_instances_over_the_limit_are_refused_with_novas_words(world, committed, enqueued):
    world.host("node1")
    set_limits(world, instances=2)
    committed(boot, world=world, name="a")
    committed(boot, world=world, name="b")
    with pytest.raises(OverQuota, match="Quota exceeded for instances: Requested 1, but already used 2 of 2") as exc:
        committed(boot, world=world, name="c")
    assert exc.value.code == 403
    assert Instance.objects.count() == 2 and [s.name for s in enqueued] == [tasknames.BUILD_INSTANCE] * 2


def test_cores_and_ram_limits_count_the_flavor(world):
    world.host("node1")
    set_limits(world, cores=1)
    boot(world)
    with pytest.raises(OverQuota, match="cores"):
        boot(world)
    set_limits(world, cores=-1, ram=512 + 511)
    with pytest.raises(OverQuota, match="ram"):
        boot(world)


def test_multi_create_takes_what_fits_between_min_and_max(world):
    world.host("node1")
    set_limits(world, instances=3)
    instances, _ = boot(world, min_count=1, max_count=5)
    assert len(instances) == 3
    with pytest.raises(OverQuota):
        boot(world, min_count=1, max_count=2)


def test_deleted_instances_do_not_count(world):
    world.host("node1")
    set_limits(world, instances=1)
    [first], _ = boot(world)
    Instance.objects.filter(pk=first.pk).update(vm_state=VmState.DELETED)
    boot(world)
    assert quota_usage(project_id=world.project.pk)["instances"] == 1


def test_metadata_items_limit(world):
    world.host("node1")
    set_limits(world, metadata_items=1)
    with pytest.raises(OverQuota, match="metadata items exceeds 1"):
        boot(world, metadata={"a": "1", "b": "2"})


def test_a_limit_below_usage_is_refused_unless_forced(world):
    world.host("node1")
    boot(world)
    boot(world)
    with pytest.raises(Exception, match="must be greater than or equal to already used"):
        quota_set_update(project_id=world.project.pk, values={"instances": 1})
    assert quota_set_update(project_id=world.project.pk, values={"instances": 1}, force=True)["instances"] == 1


def test_concurrent_boots_of_one_project_never_exceed_its_limit(world_committed, enqueued):
    world = world_committed
    world.host("node1", vcpus=64, memory_mb=64 * 512)  # room for all: only the quota may refuse
    set_limits(world, instances=3)

    results = concurrently(lambda i: boot(world, name=f"c{i}"), 10)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 7 and all(isinstance(r, OverQuota) for r in refused), refused
    assert Instance.objects.exclude(vm_state=VmState.DELETED).count() == 3
    assert len(enqueued) == 3, "only the committed boots were enqueued"


def test_limits_of_project_class_and_user_are_read_in_one_query(world, django_assert_num_queries, settings):
    """The boot path's read: the project's overrides over the default class's over the settings, and the
    user's own overrides beside them; an unknown project gets the defaults."""
    from compute_platform.compute.models import QuotaClass, UserQuota
    from compute_platform.compute.services.quotas import quota_limits, quota_limits_and_user

    QuotaClass.objects.create(name="default", limits={"cores": 7, "ram": 999})
    set_limits(world, ram=1234)
    UserQuota.objects.create(project=world.project, user_id=str(world.user.pk), limits={"instances": 2})
    with django_assert_num_queries(1):
        limits, own = quota_limits_and_user(project_id=world.project.pk, user_id=world.user.pk)
    assert (limits["cores"], limits["ram"], limits["instances"]) == (7, 1234, settings.QUOTA_DEFAULTS["instances"])
    assert own == {"instances": 2} and limits == quota_limits(project_id=world.project.pk)
    assert quota_limits_and_user(project_id=world.project.pk, user_id="someone-else")[1] == {}
    assert quota_limits(project_id="no-such-project")["cores"] == 7
    with pytest.raises(OverQuota):  # the user's 2, read with the project's limits
        boot(world, min_count=3)
