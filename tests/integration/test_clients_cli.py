"""The `openstack` CLI (python-openstackclient), unchanged, as a subprocess against a live stack, configured
the way a user would: a clouds.yaml, OS_CLIENT_CONFIG_FILE and OS_CLOUD. Every command the README's table
lists as supported is run here."""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .clouds import CLOUD, write_clouds_yaml

OPENSTACK = str(Path(sys.executable).parent / "openstack")
IMAGE = "cirros-0.6.2-x86_64-disk"


STACK = {}  # two fake hosts, the admin only


@pytest.fixture(scope="module")
def cli(api, tmp_path_factory):
    home = tmp_path_factory.mktemp("cli")
    clouds = write_clouds_yaml(api, home / "clouds.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_CLIENT_CONFIG_FILE=str(clouds), OS_CLOUD=CLOUD, HOME=str(home))
    env["PYTHONPATH"] = str(Path(__file__).parent / "cli_poll")  # `--wait` polls faster (its sitecustomize)

    def run(*args: str, ok: bool = True, fmt_json: bool = True):
        cmd = [OPENSTACK, *args] + (["-f", "json"] if fmt_json else [])
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
        if ok:
            assert res.returncode == 0, f"{' '.join(args)}\nstdout: {res.stdout}\nstderr: {res.stderr}"
            return json.loads(res.stdout) if fmt_json and res.stdout.strip() else res.stdout
        assert res.returncode != 0, res.stdout
        return res.stderr
    return run


def test_catalog_lists_and_admin_views(cli):
    # Eleven reads, independent of each other: run four at a time (each `openstack` is a second or more of
    # Python start-up), then checked one by one.
    commands = [("flavor", "list"), ("image", "list"), ("hypervisor", "list"), ("compute", "service", "list"),
                ("catalog", "list"), ("project", "list"), ("token", "issue"),
                ("availability", "zone", "list", "--compute"), ("flavor", "show", "m1.tiny"),
                ("hypervisor", "show", "node1"), ("user", "list")]
    with ThreadPoolExecutor(4) as pool:
        (flavors, images, hypervisors, services, catalog, projects, token, zones, tiny, node1,
         users) = pool.map(lambda args: cli(*args), commands)
    assert {f["Name"] for f in flavors} >= {"m1.tiny", "m1.small"}
    assert IMAGE in {i["Name"] for i in images}
    hypervisors = {h["Hypervisor Hostname"]: h for h in hypervisors}
    assert set(hypervisors) == {"node1", "node2"} and {h["State"] for h in hypervisors.values()} == {"up"}
    assert {s["Host"] for s in services} == {"node1", "node2"}
    assert {"compute", "image", "identity"} <= {e["Type"] for e in catalog}
    assert "admin" in {p["Name"] for p in projects}
    assert token["project_id"]
    assert zones[0]["Zone Name"] == "nova"
    assert tiny["ram"] == 512
    assert node1["hypervisor_hostname"] == "node1"
    assert "admin" in {u["Name"] for u in users}


def test_server_lifecycle_with_a_keypair(cli):
    key = cli("keypair", "create", "cli-key", fmt_json=False)
    assert "PRIVATE KEY" in key
    assert "cli-key" in {k["Name"] for k in cli("keypair", "list")}

    # --no-network: the CLI asks for "auto" otherwise, a 400 without a network to use (as Nova without
    # get-me-a-network)
    server = cli("server", "create", "--image", IMAGE, "--flavor", "m1.tiny", "--key-name", "cli-key",
                 "--no-network", "--wait", "cli-vm")
    assert server["status"] == "ACTIVE" and server["key_name"] == "cli-key"
    listed = {s["Name"]: s for s in cli("server", "list")}
    assert listed["cli-vm"]["Status"] == "ACTIVE" and listed["cli-vm"]["Image"] == IMAGE
    assert listed["cli-vm"]["Flavor"] == "m1.tiny"
    shown = cli("server", "show", "cli-vm")
    assert shown["id"] == server["id"] and shown["OS-EXT-SRV-ATTR:host"] in ("node1", "node2")

    cli("server", "stop", "cli-vm", fmt_json=False)
    _wait_for(cli, "cli-vm", "SHUTOFF")
    cli("server", "start", "cli-vm", fmt_json=False)
    _wait_for(cli, "cli-vm", "ACTIVE")
    cli("server", "reboot", "--wait", "cli-vm", fmt_json=False)
    for verb, status in (("pause", "PAUSED"), ("unpause", "ACTIVE"), ("suspend", "SUSPENDED"),
                         ("resume", "ACTIVE")):
        cli("server", verb, "cli-vm", fmt_json=False)
        _wait_for(cli, "cli-vm", status)
    actions = [a["Action"] for a in cli("server", "event", "list", "cli-vm")]
    assert {"create", "stop", "start", "reboot", "pause", "unpause", "suspend", "resume"} <= set(actions)
    request_id = actions and cli("server", "event", "list", "cli-vm")[0]["Request ID"]
    assert cli("server", "event", "show", "cli-vm", request_id)["request_id"] == request_id
    assert isinstance(cli("console", "log", "show", "cli-vm", fmt_json=False), str)
    assert any(s["Name"] == "cli-vm" for s in cli("server", "list", "--long"))

    cli("server", "delete", "--wait", "cli-vm", fmt_json=False)
    assert "cli-vm" not in {s["Name"] for s in cli("server", "list")}
    err = cli("server", "show", "cli-vm", ok=False, fmt_json=False)
    assert "No Server found for cli-vm" in err
    cli("keypair", "delete", "cli-key", fmt_json=False)


def _wait_for(cli, name, status, timeout=60, resource="server"):
    """`openstack <resource> show` until its status is `status` (and, for a server, no task is running)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = cli(resource, "show", name)
        if shown["status"] == status and not shown.get("OS-EXT-STS:task_state"):
            return shown
        time.sleep(0.5)
    raise AssertionError(f"{resource} {name} never reached {status}: {shown}")


def test_server_rebuild_image_create_shelve_lock_rescue(cli):
    """Moves A through the CLI: rebuild, image create, shelve/unshelve, lock/unlock, rescue/unrescue."""
    server = cli("server", "create", "--image", IMAGE, "--flavor", "m1.tiny", "--no-network", "--wait", "cli-moves")
    # No `--wait`: osc-lib polls every 5 s; _wait_for polls faster.
    cli("server", "rebuild", "--image", IMAGE, "cli-moves")
    assert _wait_for(cli, "cli-moves", "ACTIVE")["id"] == server["id"]
    cli("server", "image", "create", "--name", "cli-snap", "cli-moves")
    snap = _wait_for(cli, "cli-snap", "active", resource="image")
    assert snap["disk_format"] == "qcow2"
    cli("server", "shelve", "cli-moves", fmt_json=False)
    _wait_for(cli, "cli-moves", "SHELVED_OFFLOADED")
    cli("server", "unshelve", "cli-moves", fmt_json=False)
    _wait_for(cli, "cli-moves", "ACTIVE")
    cli("server", "lock", "cli-moves", fmt_json=False)
    cli("server", "unlock", "cli-moves", fmt_json=False)
    cli("server", "rescue", "cli-moves", fmt_json=False)
    _wait_for(cli, "cli-moves", "RESCUE")
    cli("server", "unrescue", "cli-moves", fmt_json=False)
    _wait_for(cli, "cli-moves", "ACTIVE")
    actions = {a["Action"] for a in cli("server", "event", "list", "cli-moves")}
    assert {"rebuild", "createImage", "shelve", "unshelve", "lock", "unlock", "rescue", "unrescue"} <= actions
    cli("server", "delete", "--wait", "cli-moves", fmt_json=False)
    cli("image", "delete", "cli-snap", fmt_json=False)


def test_image_create_with_a_file(cli, tmp_path):
    data = os.urandom(64 * 1024)
    path = tmp_path / "disk.raw"
    path.write_bytes(data)
    image = cli("image", "create", "--file", str(path), "--disk-format", "raw", "--container-format", "bare",
                "cli-image")
    shown = cli("image", "show", "cli-image")
    assert shown["id"] == image["id"] and shown["status"] == "active" and shown["size"] == len(data)
    out = tmp_path / "back.raw"
    cli("image", "save", "--file", str(out), "cli-image", fmt_json=False)
    assert out.read_bytes() == data
    cli("image", "delete", "cli-image", fmt_json=False)
    assert "cli-image" not in {i["Name"] for i in cli("image", "list")}


def test_server_group_create(cli):
    group = cli("server", "group", "create", "--policy", "anti-affinity", "cli-group")
    assert group["name"] == "cli-group" and "anti-affinity" in str(group["policies"] if "policies" in group
                                                                   else group["policy"])
    assert "cli-group" in {g["Name"] for g in cli("server", "group", "list")}
    cli("server", "group", "delete", "cli-group", fmt_json=False)


def test_errors_reach_the_user_as_messages(cli):
    err = cli("server", "create", "--image", IMAGE, "--flavor", "no-such-flavor", "x", ok=False, fmt_json=False)
    assert "No Flavor found for no-such-flavor" in err or "no-such-flavor" in err
    err = cli("server", "stop", "00000000-0000-0000-0000-000000000000", ok=False, fmt_json=False)
    assert "No Server found for" in err
    assert "Traceback" not in err


def test_identity_admin_commands(cli):
    """Keystone's admin API through the CLI: projects, users and role grants made, listed and removed."""
    project = cli("project", "create", "--description", "made by the CLI", "cli-proj")
    assert (project["name"], project["description"], project["domain_id"]) == ("cli-proj", "made by the CLI",
                                                                               "default")
    user = cli("user", "create", "--password", "cli-pw", "cli-user")
    assert user["name"] == "cli-user" and user["enabled"] is True
    cli("role", "add", "--project", "cli-proj", "--user", "cli-user", "member", fmt_json=False)
    rows = cli("role", "assignment", "list", "--project", "cli-proj", "--names")
    assert [(r["Role"], r["User"], r["Project"]) for r in rows] == [("member", "cli-user@Default",
                                                                     "cli-proj@Default")]
    assert [r["Role"] for r in cli("role", "assignment", "list", "--user", "cli-user")] == ["member"]
    cli("project", "set", "--description", "changed", "cli-proj", fmt_json=False)
    assert cli("project", "show", "cli-proj")["description"] == "changed"
    cli("role", "remove", "--project", "cli-proj", "--user", "cli-user", "member", fmt_json=False)
    assert cli("role", "assignment", "list", "--project", "cli-proj") == []
    cli("user", "delete", "cli-user", fmt_json=False)
    cli("project", "delete", "cli-proj", fmt_json=False)
    assert "cli-proj" not in {p["Name"] for p in cli("project", "list")}
    assert "cli-user" not in {u["Name"] for u in cli("user", "list")}


def test_limits_show_reads_compute_and_volume_limits(cli):
    limits = {row["Name"]: row["Value"] for row in cli("limits", "show", "--absolute")}
    # compute from the quotas (the test stack runs unlimited), volumes from Cinder's /limits (no quotas yet)
    assert limits["instances"] == -1 and limits["keypairs"] == 100 and limits["max_server_groups"] == 10
    assert limits["max_total_volumes"] == -1 and limits["total_volumes_used"] == 0


def test_volume_commands(api, cli, tmp_path, private_mount_namespace):
    """Cinder through the CLI: create on a bind export, attach to a server (a real bind mount on its host),
    detach, delete. Needs the mount namespace `make test` runs in, and the volume service (the conductor)."""
    api.start_conductor()
    share = tmp_path / "cli-export"
    share.mkdir()
    r = api.post("/api/v1/exports", json={"export": {"name": "cli-export", "share": str(share), "fstype": "bind"}})
    assert r.status_code == 201, r.text
    volume = cli("volume", "create", "--size", "1", "cli-vol")
    _wait_for(cli, "cli-vol", "available", resource="volume")
    assert "cli-vol" in {v["Name"] for v in cli("volume", "list")}
    assert (share / f"volume-{volume['id']}").exists()
    cli("server", "create", "--image", IMAGE, "--flavor", "m1.tiny", "--no-network", "--wait", "cli-vol-vm")
    cli("server", "add", "volume", "cli-vol-vm", "cli-vol", fmt_json=False)
    shown = _wait_for(cli, "cli-vol", "in-use", resource="volume")
    assert shown["attachments"] and "/dev/vdb" in str(shown["attachments"])
    cli("server", "remove", "volume", "cli-vol-vm", "cli-vol", fmt_json=False)
    _wait_for(cli, "cli-vol", "available", resource="volume")
    cli("volume", "delete", "cli-vol", fmt_json=False)
    cli("server", "delete", "--wait", "cli-vol-vm", fmt_json=False)


def _flavor_name(server: dict) -> str:
    # From 2.47 a server embeds its flavor ({"original_name": ...}); the CLI negotiates the API's 2.73.
    return server["flavor"]["original_name"]


def test_server_moves(api, cli):
    """resize with confirm and revert, cold and live migration, evacuate's refusal while the host is up,
    and the migration list, through the unchanged CLI."""
    server = cli("server", "create", "--image", IMAGE, "--flavor", "m1.tiny", "--no-network", "--wait", "cli-mover")
    sid = server["id"]
    cli("server", "resize", "--flavor", "m1.small", "--wait", sid, fmt_json=False)
    shown = cli("server", "show", sid)
    assert shown["status"] == "VERIFY_RESIZE" and _flavor_name(shown) == "m1.small"
    cli("server", "resize", "confirm", sid, fmt_json=False)

    cli("server", "resize", "--flavor", "m1.medium", "--wait", sid, fmt_json=False)
    cli("server", "resize", "--revert", sid, fmt_json=False)
    cli("server", "migrate", "--wait", sid, fmt_json=False)  # cold: also ends in VERIFY_RESIZE
    shown = cli("server", "show", sid)
    assert shown["status"] == "VERIFY_RESIZE" and _flavor_name(shown) == "m1.small"
    host = shown["OS-EXT-SRV-ATTR:host"]
    cli("server", "migration", "confirm", sid, fmt_json=False)

    # At 2.25 and later the CLI sends `block_migration: auto` (below, python-openstackclient 10.5 failed inside
    # openstacksdk on `disk_overcommit=`); the API serves 2.73, so the CLI's own path is the one tested.
    cli("server", "migrate", "--live-migration", "--wait", sid, fmt_json=False)
    api.wait_status(sid, "ACTIVE")
    shown = cli("server", "show", sid)
    assert shown["status"] == "ACTIVE" and shown["OS-EXT-SRV-ATTR:host"] != host

    err = cli("server", "evacuate", sid, ok=False)
    assert "still in use" in err  # evacuate is for a server whose host is down

    rows = cli("server", "migration", "list", "--server", sid)
    # Below 2.23 the CLI shows no type column: the statuses tell the four moves apart.
    assert [r["Status"] for r in rows] == ["completed", "confirmed", "reverted", "confirmed"]
    cli("server", "delete", "--wait", sid, fmt_json=False)

def test_network_commands(api, cli):
    """Last in this module: afterwards the admin's project has a network, which a boot without one would use.
    One command per feature (each CLI run is seconds of start-up)."""
    net = cli("network", "create", "--tag", "blue", "--tag", "green", "cli-net")
    assert net["status"] == "ACTIVE" and net["name"] == "cli-net"
    # tags: the CLI sets them after the create (PUT .../tags), and filters on them
    assert sorted(api.get(f"/network/v2.0/networks/{net['id']}/tags").json()["tags"]) == ["blue", "green"]
    assert [n["Name"] for n in cli("network", "list", "--tags", "blue,green", "--not-tags", "red")] == ["cli-net"]
    cli("network", "set", "--tag", "red", "cli-net", fmt_json=False)  # adds to the tags (PUT of the whole set)
    assert sorted(api.get(f"/network/v2.0/networks/{net['id']}/tags").json()["tags"]) == ["blue", "green", "red"]
    subnet = cli("subnet", "create", "--network", "cli-net", "--subnet-range", "10.90.0.0/24", "--tag", "s",
                 "cli-subnet")
    assert subnet["cidr"] == "10.90.0.0/24" and subnet["gateway_ip"] == "10.90.0.1"
    port = cli("port", "create", "--network", "cli-net", "--fixed-ip", "subnet=cli-subnet,ip-address=10.90.0.50",
               "--tag", "p", "cli-port")
    assert port["fixed_ips"][0]["ip_address"] == "10.90.0.50"
    assert "cli-port" in {p["Name"] for p in cli("port", "list", "--network", "cli-net")}
    group = cli("security", "group", "create", "--tag", "g", "cli-web")
    for kind, id_, tag in (("subnets", subnet["id"], "s"), ("ports", port["id"], "p"),
                           ("security-groups", group["id"], "g")):
        assert api.get(f"/network/v2.0/{kind}/{id_}/tags").json()["tags"] == [tag], kind
    rule = cli("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "cli-web")
    assert rule["port_range_min"] == 22 and rule["security_group_id"] == group["id"]
    # --network and --nic together: two NICs, in that order
    server = cli("server", "create", "--image", IMAGE, "--flavor", "m1.tiny", "--network", "cli-net",
                 "--nic", f"net-id={net['id']}", "--security-group", "cli-web", "--wait", "cli-net-vm")
    assert json.dumps(server["addresses"]).count("10.90.0.") == 2
    interfaces = f"/compute/v2.1/servers/{server['id']}/os-interface"
    cli("server", "add", "port", "cli-net-vm", "cli-port", fmt_json=False)
    assert port["id"] in [i["port_id"] for i in api.get(interfaces).json()["interfaceAttachments"]]
    cli("server", "remove", "port", "cli-net-vm", "cli-port", fmt_json=False)
    assert port["id"] not in [i["port_id"] for i in api.get(interfaces).json()["interfaceAttachments"]]
    public = cli("network", "create", "--external", "cli-public")
    cli("subnet", "create", "--network", "cli-public", "--subnet-range", "198.51.100.0/28", "cli-public-subnet")
    fip = cli("floating", "ip", "create", "--tag", "f", "cli-public")
    assert api.get(f"/network/v2.0/floatingips/{fip['id']}/tags").json()["tags"] == ["f"]
    assert fip["floating_ip_address"].startswith("198.51.100.") and fip["floating_network_id"] == public["id"]
    cli("floating", "ip", "set", "--port", "cli-port", fip["id"], fmt_json=False)
    assert cli("floating", "ip", "show", fip["id"])["port_id"] == port["id"]
    cli("floating", "ip", "unset", "--port", fip["id"], fmt_json=False)
    assert cli("floating", "ip", "show", fip["id"])["port_id"] is None
    cli("server", "delete", "cli-net-vm", fmt_json=False)
