"""Remote security groups' members reach the hosts as one coalesced push per host (wt-netperf): the services'
pushes (sent on commit, recorded by `enqueued`), the marker in the real Redis, and the host's task run
in-process against the fake driver, whose recorded sets are what the test reads. The race that matters: a
change committed while a push is between taking its marker and reading the database must not be lost."""
import threading
import time
import uuid

import pytest
import redis
from django.db import connections

from compute_platform import tasknames
from compute_platform.compute.context import new_request_id
from compute_platform.network.models import Port, SecurityGroup, SecurityGroupRule
from compute_platform.network.selectors_instances import group_set_holders
from compute_platform.network.services import host_push
from compute_platform.redis_clients import broker_redis
from compute_platform.network.services.networks import network_create, subnet_create
from compute_platform.network.services.ports import port_create, port_delete
from compute_platform.network.services.security_group_push import MEMBERS
from hypervisors.base import InstanceSpec, SecurityGroupRule as Rule, VifSpec
from tasks import network_push, runtime

pytestmark = pytest.mark.service


class Scene:
    """A host with one server whose port's rules name group G (so the host keeps a set of G), and helpers."""

    def __init__(self, world, tmp_path, settings):
        settings.FAKE_DRIVER_STATE_DIR = tmp_path / "fake"
        self.world, self.host = world, f"svc-{uuid.uuid4().hex[:8]}"
        self.ctx = world.context()
        self.net = network_create(context=self.ctx, project_id=world.project.pk, values={"name": "n"})
        subnet_create(context=self.ctx, project_id=world.project.pk, network=self.net,
                      values={"cidr": "10.44.0.0/24", "enable_dhcp": False})
        self.group = SecurityGroup.objects.create(project=world.project, name="g")
        SecurityGroupRule.objects.create(project=world.project, security_group=self.group, direction="ingress",
                                         remote_group=self.group)
        self.server = server = world.instance(host=world.host(self.host))
        first = self.port(device_id=str(server.uuid))
        runtime.host_set(self.host)
        self.driver = runtime.get_driver()
        rule = Rule(direction="ingress", remote_group_id=str(self.group.id))
        self.driver.spawn(InstanceSpec(uuid=str(server.uuid), name="s", vcpus=1, memory_mb=64, root_gb=1, vifs=(
            VifSpec(port_id=str(first.id), mac=first.mac_address, network_id=str(self.net.id),
                    security_group_rules=(rule,)),)))
        # the host loads its set of G as its worker does, becoming a holder of G (so G's changes are pushed to it)
        network_push.refresh_group_members(request_id=new_request_id())
        self.marker = host_push.marker_key(host=self.host, kind=MEMBERS)
        broker_redis().delete(self.marker)
        self.ips = {self.ip(first)}

    def port(self, **values):
        port = port_create(context=self.ctx, project_id=self.world.project.pk, network_id=self.net.id,
                           values={"security_groups": [str(self.group.id)], "device_owner": "compute:nova", **values})
        return port

    @staticmethod
    def ip(port) -> str:
        return port.fixed_ips.get().ip_address

    def member_joins(self):
        """A port joins G (committed at once: the test database is not in a transaction)."""
        port = self.port()
        self.ips.add(self.ip(port))
        return port

    def marker_set(self) -> bool:
        return bool(broker_redis().exists(self.marker))

    def host_set_now(self) -> set:
        return set(self.driver.group_members(str(self.group.id)))


@pytest.fixture
def scene(world_committed, tmp_path, settings):
    yield Scene(world_committed, tmp_path, settings)
    runtime.hosts_set([])


def member_pushes(enqueued, host) -> list:
    return [s for s in enqueued if s.name == tasknames.REFRESH_GROUP_MEMBERS and s.queue == f"compute.{host}"]


def test_a_burst_of_members_sends_one_push_that_sees_them_all(scene, enqueued):
    for _ in range(3):
        scene.member_joins()
    [push] = member_pushes(enqueued, scene.host)  # one waits: the others found its marker
    assert scene.marker_set()
    network_push.refresh_group_members(**push.kwargs)  # the host runs it, reading the database then
    assert scene.host_set_now() == scene.ips and not scene.marker_set()
    gone = scene.member_joins()
    assert len(member_pushes(enqueued, scene.host)) == 2  # the marker went with the run: a new change pushes
    gone_ip = Scene.ip(gone)
    port_delete(context=scene.ctx, port=gone)  # a member leaves before that push ran: coalesced with it
    scene.ips.discard(gone_ip)
    assert len(member_pushes(enqueued, scene.host)) == 2
    network_push.refresh_group_members(**member_pushes(enqueued, scene.host)[-1].kwargs)
    assert scene.host_set_now() == scene.ips and gone_ip not in scene.host_set_now()


def test_a_change_committed_between_the_markers_removal_and_the_read_is_not_lost(scene, enqueued):
    """The host holds its push lock (as another push would) while a push starts: the push removes its marker
    first and then waits for the lock. A member joining now finds no marker, so it pushes again; and the
    waiting push, reading after the lock, sees the member too."""
    scene.member_joins()
    [first] = member_pushes(enqueued, scene.host)
    worker = threading.Thread(target=_run, args=(first.kwargs,))
    with network_push.security_groups_lock(scene.host):
        worker.start()
        deadline = time.monotonic() + 10
        while scene.marker_set():  # the push took its marker before reading (it waits for the lock now)
            assert time.monotonic() < deadline, "the push did not remove its marker before the read"
            time.sleep(0.01)
        scene.member_joins()
        assert len(member_pushes(enqueued, scene.host)) == 2  # no marker: this change pushed on its own
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert scene.host_set_now() == scene.ips  # the waiting push read after the change: nothing missed


def _run(kwargs):
    try:
        network_push.refresh_group_members(**kwargs)
    finally:
        connections.close_all()


def test_a_lost_marker_or_an_unreachable_redis_only_pushes_again(scene, enqueued, monkeypatch):
    scene.member_joins()
    broker_redis().delete(scene.marker)  # Redis restarted empty: the marker is gone
    scene.member_joins()
    assert len(member_pushes(enqueued, scene.host)) == 2
    monkeypatch.setattr(host_push, "broker_redis", lambda: redis.Redis(port=1, socket_connect_timeout=0.2))
    scene.member_joins()  # the marker cannot be set: the push goes anyway
    assert len(member_pushes(enqueued, scene.host)) == 3
    monkeypatch.undo()
    network_push.refresh_group_members(request_id=new_request_id())
    assert scene.host_set_now() == scene.ips


def test_a_host_whose_ports_name_the_group_no_more_stops_holding_it(scene, enqueued):
    assert group_set_holders(group_ids=[scene.group.id]) == [scene.host]
    Port.objects.filter(device_id=str(scene.server.uuid)).update(device_id="", device_owner="")  # its server left
    network_push.refresh_group_members(request_id=new_request_id())  # its next reload
    assert group_set_holders(group_ids=[scene.group.id]) == []
    scene.member_joins()
    assert member_pushes(enqueued, scene.host) == []  # no more pushes of the group's changes to it
