"""openstacksdk, unchanged, against a live stack: discovery and microversion negotiation, a server's
whole lifecycle, keypairs, server groups, images with data, and OpenStack-shaped errors."""
import hashlib
import os

import openstack
import pytest
from openstack import exceptions

from api.common.microversions import MAX_VERSION_STRING

from .clouds import CLOUD, write_clouds_yaml

IMAGE = "cirros-0.6.2-x86_64-disk"


STACK = {"users": {"alice": "alpha"}}


@pytest.fixture(scope="module")
def clouds_yaml(api, tmp_path_factory):
    return write_clouds_yaml(api, tmp_path_factory.mktemp("sdk") / "clouds.yaml")


def connect(clouds_yaml, **auth) -> openstack.connection.Connection:
    config = openstack.config.OpenStackConfig(config_files=[str(clouds_yaml)], vendor_files=[])
    region = config.get_one(cloud=CLOUD, **({"auth": auth} if auth else {}))
    return openstack.connection.Connection(config=region)


@pytest.fixture(scope="module")
def conn(clouds_yaml):
    connection = connect(clouds_yaml)
    yield connection
    connection.close()


def wait_status(conn, server, status):
    # Read the server first: the SDK's wait returns at once when the object it is given already has `status`,
    # and an action's call does not refresh it (after a soft reboot the stale object still says ACTIVE, and the
    # next action met the reboot's task_state: 409).
    return conn.compute.wait_for_server(conn.compute.get_server(server.id), status=status, interval=0.2, wait=60)


def test_discovery_and_microversion(conn, api):
    endpoint = conn.compute.get_endpoint_data()
    assert endpoint.url.rstrip("/") == api.url("/compute/v2.1")
    assert (str(endpoint.min_microversion[0]), endpoint.max_microversion) == ("2", (2, int(
        MAX_VERSION_STRING.split(".")[1])))
    assert conn.identity.get_endpoint_data().url.rstrip("/") == api.url("/identity/v3")  # from /identity
    assert conn.image.get_endpoint().startswith(api.url("/image"))
    assert {p.name for p in conn.identity.projects()} >= {"admin", "alpha"}
    assert {u.name for u in conn.identity.users()} >= {"admin", "alice"}


def test_server_lifecycle(conn):
    image = conn.image.find_image(IMAGE, ignore_missing=False)
    flavor = conn.compute.find_flavor("m1.tiny", ignore_missing=False)
    server = conn.compute.create_server(name="sdk-vm", image_id=image.id, flavor_id=flavor.id, networks="none")
    server = wait_status(conn, server, "ACTIVE")
    assert server.flavor.id == flavor.id or server.flavor.original_name in (None, "m1.tiny")
    assert server.compute_host in ("node1", "node2")  # admin sees OS-EXT-SRV-ATTR:host

    steps = [(conn.compute.stop_server, "SHUTOFF"), (conn.compute.start_server, "ACTIVE"),
             (lambda s: conn.compute.reboot_server(s, "SOFT"), "ACTIVE"),
             (lambda s: conn.compute.reboot_server(s, "HARD"), "ACTIVE"),
             (conn.compute.pause_server, "PAUSED"), (conn.compute.unpause_server, "ACTIVE"),
             (conn.compute.suspend_server, "SUSPENDED"), (conn.compute.resume_server, "ACTIVE")]
    for call, status in steps:
        call(server)
        server = wait_status(conn, server, status)
        assert server.task_state is None and server.status == status

    actions = [a.action for a in conn.compute.server_actions(server)]
    assert actions[-1] == "create" and {"stop", "start", "reboot", "pause", "unpause", "suspend",
                                        "resume"} <= set(actions)
    action = conn.compute.get_server_action(actions and list(conn.compute.server_actions(server))[0].request_id,
                                            server)
    assert action.events and action.events[0]["result"] == "Success"

    assert [s.id for s in conn.compute.servers(name="^sdk-vm$")] == [server.id]
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.2, wait=60)
    assert conn.compute.find_server(server.id) is None


def test_errors_are_openstack_shaped(conn):
    with pytest.raises(exceptions.NotFoundException) as err:
        conn.compute.get_server("00000000-0000-0000-0000-000000000000")
    assert "could not be found" in str(err.value)
    image = conn.image.find_image(IMAGE, ignore_missing=False)
    server = conn.compute.create_server(name="sdk-conflict", image_id=image.id, flavor_id="1", networks="none")
    server = wait_status(conn, server, "ACTIVE")
    with pytest.raises(exceptions.ConflictException) as err:
        conn.compute.start_server(server)  # already running
    assert "vm_state active" in str(err.value) or "Cannot" in str(err.value)
    with pytest.raises(exceptions.BadRequestException):
        conn.compute.create_server(name="sdk-bad", image_id=image.id, flavor_id="no-such-flavor", networks="none")
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.2, wait=60)


def test_a_member_sees_only_its_project(clouds_yaml, conn):
    alice = connect(clouds_yaml, username="alice", password="alice-pw", project_name="alpha")
    try:
        image = alice.image.find_image(IMAGE, ignore_missing=False)
        server = alice.compute.create_server(name="alice-vm", image_id=image.id, flavor_id="1", networks="none")
        wait_status(alice, server, "ACTIVE")
        assert [s.name for s in alice.compute.servers()] == ["alice-vm"]
        with pytest.raises(exceptions.ForbiddenException):
            list(alice.compute.hypervisors())
        alice.compute.delete_server(server)
        alice.compute.wait_for_delete(server, interval=0.2, wait=60)
    finally:
        alice.close()


def test_image_with_data(conn, tmp_path):
    data = os.urandom(256 * 1024)
    path = tmp_path / "disk.raw"
    path.write_bytes(data)
    image = conn.image.create_image("sdk-image", filename=str(path), disk_format="raw", container_format="bare",
                                    wait=True, validate_checksum=True, allow_duplicates=True)
    image = conn.image.get_image(image)
    assert (image.status, image.size, image.checksum) == ("active", len(data), hashlib.md5(data).hexdigest())
    assert (image.hash_algo, image.hash_value) == ("sha512", hashlib.sha512(data).hexdigest())
    assert conn.image.download_image(image).content == data
    server = conn.compute.create_server(name="sdk-from-upload", image_id=image.id, flavor_id="1", networks="none")
    server = wait_status(conn, server, "ACTIVE")
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.2, wait=60)
    conn.image.delete_image(image)
    assert conn.image.find_image(image.id) is None


def test_keypairs(conn):
    created = conn.compute.create_keypair(name="sdk-key")
    assert created.private_key and created.public_key.startswith("ssh-") and created.fingerprint
    assert created.type == "ssh"  # microversion 2.2
    assert "sdk-key" in [k.name for k in conn.compute.keypairs()]
    assert conn.compute.get_keypair("sdk-key").public_key == created.public_key
    image = conn.image.find_image(IMAGE, ignore_missing=False)
    server = conn.compute.create_server(name="sdk-keyed", image_id=image.id, flavor_id="1", key_name="sdk-key",
                                        networks="none")
    server = wait_status(conn, server, "ACTIVE")
    assert server.key_name == "sdk-key"
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.2, wait=60)
    with pytest.raises(exceptions.ConflictException):
        conn.compute.create_keypair(name="sdk-key")
    conn.compute.delete_keypair("sdk-key")
    with pytest.raises(exceptions.NotFoundException):
        conn.compute.get_keypair("sdk-key")


def test_server_groups(conn):
    group = conn.compute.create_server_group(name="sdk-group", policies=["anti-affinity"])
    assert group.name == "sdk-group" and group.policies == ["anti-affinity"]
    assert "sdk-group" in [g.name for g in conn.compute.server_groups()]
    image = conn.image.find_image(IMAGE, ignore_missing=False)
    servers = [conn.compute.create_server(name=f"sdk-grp-{i}", image_id=image.id, flavor_id="1", networks="none",
                                          scheduler_hints={"group": group.id}) for i in range(2)]
    servers = [wait_status(conn, s, "ACTIVE") for s in servers]
    assert {s.compute_host for s in servers} == {"node1", "node2"}  # anti-affinity on two hosts
    assert set(conn.compute.get_server_group(group.id).member_ids) == {s.id for s in servers}
    for s in servers:
        conn.compute.delete_server(s)
        conn.compute.wait_for_delete(s, interval=0.2, wait=60)
    conn.compute.delete_server_group(group)
    with pytest.raises(exceptions.NotFoundException):
        conn.compute.get_server_group(group.id)
