"""A build with a port settles its own security group sets (tasks/network_push.py: plugged_ports_settle) and
sends the members push to the other hosts only: a member that joins or leaves the group while the server
builds is in (out of) the building host's set when the build is done; the hosts pushed to are the group's
holders (models.GroupSetHolder), which the building host becomes before it reads; a rule changed during the
build is on the port once its push ran, whenever that was.
Real PostgreSQL and Redis, the build run in-process as the host's worker runs it, against the fake driver."""
import uuid

import pytest

from compute_platform import tasknames
from compute_platform.compute.models import Host, Instance
from compute_platform.compute.services.instances import instance_create
from compute_platform.compute.states import VmState
from compute_platform.network.models import Port
from compute_platform.network.services import host_push
from compute_platform.network.selectors_instances import group_set_holders
from compute_platform.network.services.networks import network_create, subnet_create
from compute_platform.network.services.group_set_holders import group_set_holders_add
from compute_platform.network.services.ports import port_create, port_delete
from compute_platform.network.services.security_group_push import MEMBERS
from compute_platform.network.services.security_groups import (security_group_default_ensure,
                                                                 security_group_rule_create)
from compute_platform.redis_clients import broker_redis
from tasks import manager, network_push, runtime

pytestmark = pytest.mark.service


class Scene:
    """Hosts `here` (where the server builds) and `there` (a live server whose port is in the project's default
    group, whose rule "from members of this group" names the group itself), a network, helpers."""

    def __init__(self, world, settings, tmp_path):
        settings.COMPUTE_DRIVER = "fake"
        settings.COMPUTE_STATE_DIR = settings.FAKE_DRIVER_STATE_DIR = tmp_path
        self.world, self.ctx = world, world.context()
        suffix = uuid.uuid4().hex[:8]  # (push markers live in the shared Redis: hosts of their own)
        self.here, self.there = world.host(f"here-{suffix}"), world.host(f"there-{suffix}")
        self.net = network_create(context=self.ctx, project_id=world.project.pk, values={"name": "n"})
        subnet_create(context=self.ctx, project_id=world.project.pk, network=self.net,
                      values={"cidr": "10.45.0.0/24", "enable_dhcp": False})
        self.group = security_group_default_ensure(project_id=world.project.pk)
        self.other = self.member(host=self.there)
        # `there` holds a set of the group (its worker loaded it for its server): the group's changes reach it
        group_set_holders_add(host=self.there.name, group_ids=[self.group.id])

    def member(self, *, host, device_id=None) -> Port:
        """A compute port in the group (committed at once: the test database is not in a transaction)."""
        if device_id is None:
            device_id = str(self.world.instance(host=host).uuid)
        return port_create(context=self.ctx, project_id=self.world.project.pk, network_id=self.net.id,
                           values={"device_owner": "compute:nova", "device_id": device_id})

    def create(self, committed, enqueued):
        """A server with a port on the network, placed on `here` (the other host disabled meanwhile); no members
        push waits on either host (so the build's own is seen)."""
        Host.objects.filter(pk=self.there.pk).update(enabled=False)
        (instance,), _ = committed(instance_create, context=self.world.context(), name="vm", flavor=self.world.flavor,
                                   image=self.world.image, networks=[{"uuid": str(self.net.id)}])
        Host.objects.filter(pk=self.there.pk).update(enabled=True)
        (build,) = [s for s in enqueued if s.name == tasknames.BUILD_INSTANCE]
        assert build.queue == f"compute.{self.here.name}"
        broker_redis().delete(*(host_push.marker_key(host=h.name, kind=MEMBERS) for h in (self.here, self.there)))
        enqueued.clear()
        return instance, build

    def host_set(self) -> set:
        runtime.host_set(self.here.name)
        return set(runtime.get_driver().group_members(str(self.group.id)) or ())


def ip(port) -> str:
    return port.fixed_ips.get().ip_address


@pytest.fixture
def scene(world_committed, settings, tmp_path):
    yield Scene(world_committed, settings, tmp_path)
    runtime.hosts_set([])


def member_pushes(enqueued) -> list[str]:
    return sorted(s.queue for s in enqueued if s.name == tasknames.REFRESH_GROUP_MEMBERS)


def build_with(scene, build, monkeypatch, during):
    """Run the build as its host does, `during()` once its NICs were read (before they are plugged)."""
    real = manager.instance_spec

    def spec_then_change(instance, image=None, **kwargs):
        spec = real(instance, image, **kwargs)
        during()
        return spec

    monkeypatch.setattr(manager, "instance_spec", spec_then_change)
    runtime.host_set(scene.here.name)
    manager.build_instance(**build.kwargs)


def test_a_member_joining_during_the_build_is_in_the_building_hosts_set(scene, committed, enqueued, monkeypatch):
    instance, build = scene.create(committed, enqueued)
    mine = Port.objects.get(device_id=str(instance.uuid))
    joined = []
    build_with(scene, build, monkeypatch, lambda: joined.append(scene.member(host=scene.there)))
    assert Instance.objects.get(pk=instance.pk).vm_state == VmState.ACTIVE
    assert scene.host_set() == {ip(scene.other), ip(mine), ip(joined[0])}  # the settle read it
    # the join was pushed to the holder of the group; the building host became one at its settle, after the join,
    # and the activation pushed to both holders (the building host's push is a spare one here: it read the set)
    assert member_pushes(enqueued) == [f"compute.{scene.here.name}", f"compute.{scene.there.name}"]
    assert group_set_holders(group_ids=[scene.group.id]) == sorted([scene.here.name, scene.there.name])


def test_a_member_leaving_during_the_build_is_not_in_the_building_hosts_set(scene, committed, enqueued,
                                                                          monkeypatch):
    leaving = scene.member(host=scene.there)
    gone = ip(leaving)
    instance, build = scene.create(committed, enqueued)
    build_with(scene, build, monkeypatch, lambda: port_delete(context=scene.ctx, port=leaving))
    assert gone not in scene.host_set()
    assert scene.host_set() == {ip(scene.other), ip(Port.objects.get(device_id=str(instance.uuid)))}


def test_a_port_whose_device_id_is_no_uuid_breaks_no_activation(scene, committed, enqueued, monkeypatch):
    """device_id is text an API user may set to anything: such ports in the group are members like any other,
    and the activation's push goes to the group's holders, not to hosts found from the ports."""
    scene.member(host=None, device_id="not-a-uuid")
    scene.member(host=None, device_id=str(uuid.uuid4()))  # a uuid, but no server's
    instance, build = scene.create(committed, enqueued)
    build_with(scene, build, monkeypatch, lambda: None)
    assert Instance.objects.get(pk=instance.pk).vm_state == VmState.ACTIVE
    assert Port.objects.get(device_id=str(instance.uuid)).status == "ACTIVE"
    # the activation told the group's holders: the other host (its set lacks the new server) and the building one
    assert member_pushes(enqueued) == [f"compute.{scene.here.name}", f"compute.{scene.there.name}"]


def ssh_rule(scene):
    return security_group_rule_create(group=scene.group, values={
        "direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22,
        "remote_ip_prefix": "0.0.0.0/0"})


def rules_push_to(scene, enqueued):
    [push] = [s for s in enqueued if s.name == tasknames.REFRESH_SECURITY_GROUPS
              and s.queue == f"compute.{scene.here.name}"]
    return push


def port_ranges(scene, instance) -> set:
    runtime.host_set(scene.here.name)
    driver = runtime.get_driver()
    [port_id] = driver.list_vifs(str(instance.uuid))
    return {r.port_range_min for r in driver.vif_rules(str(instance.uuid), port_id)}


def test_a_rule_pushed_to_the_host_while_the_port_was_unplugged_is_on_it_after_the_build(scene, committed, enqueued,
                                                                                       monkeypatch):
    """The rules push ran on the host between the build's read of the port's rules and the plug (so it found no
    port to rewrite): the settle sees that a push ran and reads the rules again."""
    instance, build = scene.create(committed, enqueued)

    def rule_pushed():
        ssh_rule(scene)
        network_push.refresh_security_groups(**rules_push_to(scene, enqueued).kwargs)

    build_with(scene, build, monkeypatch, rule_pushed)
    assert 22 in port_ranges(scene, instance)


def test_a_rule_whose_push_runs_after_the_build_reaches_the_port_then(scene, committed, enqueued, monkeypatch):
    """No rules push ran during the build: the settle keeps the rules it plugged (no second read), and the push,
    still queued for the host, rewrites them when it runs."""
    instance, build = scene.create(committed, enqueued)
    build_with(scene, build, monkeypatch, lambda: ssh_rule(scene))
    assert 22 not in port_ranges(scene, instance)
    network_push.refresh_security_groups(**rules_push_to(scene, enqueued).kwargs)
    assert 22 in port_ranges(scene, instance)


def test_a_build_on_a_host_holding_the_group_reads_none_of_its_members(scene, committed, enqueued, monkeypatch):
    """The host holds a set of the group (its first build read it): a second build there reads no member (a
    large group costs a build nothing), and its own address reaches the host's set with the push every holder
    gets from its activation."""
    first, build = scene.create(committed, enqueued)
    build_with(scene, build, monkeypatch, lambda: None)
    second, build = scene.create(committed, enqueued)
    reads = []
    monkeypatch.setattr(network_push, "group_members", lambda **kw: reads.append(kw) or {})
    build_with(scene, build, monkeypatch, lambda: None)
    assert reads == []
    mine = ip(Port.objects.get(device_id=str(second.uuid)))
    assert mine not in scene.host_set()
    [push] = [s for s in enqueued if s.name == tasknames.REFRESH_GROUP_MEMBERS
              and s.queue == f"compute.{scene.here.name}"]
    monkeypatch.undo()
    runtime.host_set(scene.here.name)
    network_push.refresh_group_members(**push.kwargs)
    assert scene.host_set() == {ip(scene.other), ip(Port.objects.get(device_id=str(first.uuid))), mine}
