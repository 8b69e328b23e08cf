"""Servers on a network on SQLite, the embedded database of `make run`: the build's network reads and writes are
hand-written SQL (compute_platform/sql.py) whose UUIDs SQLite stores as 32 hex digits, so they are proven here
end to end: an API and a real fake-host worker on one SQLite file, the real Redis."""
import subprocess
import sys

import pytest

from hypervisors.fake import FakeDriver

from .stack import REPO, Stack

NET = "/network/v2.0"


@pytest.fixture
def lite(tmp_path, redis_url):
    stack = Stack(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", redis_url=redis_url, workdir=tmp_path,
                  hosts=["node1"], env_extra={"QUOTA_PORT": "-1"})
    for cmd in (["migrate", "--noinput", "-v0"], ["bootstrap"]):
        subprocess.run([sys.executable, "manage.py", *cmd], cwd=REPO, env=stack.env, check=True, capture_output=True)
    stack.start_api()
    stack.start_worker("node1")
    try:
        stack.wait_ready()
        yield stack
    finally:
        stack.stop()


def test_servers_on_a_network_build_and_join_their_group_on_sqlite(lite):
    t = lite.token()
    net = lite.post(f"{NET}/networks", json={"network": {"name": "litenet"}}, token=t).json()["network"]
    r = lite.post(f"{NET}/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.9.0.0/24"}}, token=t)
    assert r.status_code == 201, r.text
    # a compute port whose device_id is no server's uuid, nor any uuid: it joins the group, names no host
    r = lite.post(f"{NET}/ports", json={"port": {"network_id": net["id"], "device_owner": "compute:nova",
                                                  "device_id": "not-a-uuid"}}, token=t)
    assert r.status_code == 201, r.text
    stray = r.json()["port"]["fixed_ips"][0]["ip_address"]
    ids = []
    for name in ("lite-1", "lite-2"):
        r = lite.boot(name=name, token=t, networks=[{"uuid": net["id"]}])
        assert r.status_code == 202, r.text
        ids.append(r.json()["server"]["id"])
    ips = {}
    for sid in ids:
        server = lite.wait_status(sid, "ACTIVE")
        [port] = lite.get(f"{NET}/ports?device_id={sid}", token=t).json()["ports"]
        assert (port["status"], port["binding:host_id"]) == ("ACTIVE", "node1")
        ips[sid] = port["fixed_ips"][0]["ip_address"]
        assert server["addresses"]["litenet"][0]["addr"] == ips[sid]
    driver = FakeDriver(host="node1", state_dir=lite.env["COMPUTE_STATE_DIR"] + "/fake")
    group = lite.get(f"{NET}/security-groups?name=default", token=t).json()["security_groups"][0]
    for sid in ids:
        [port_id] = driver.list_vifs(sid)
        rules = driver.vif_rules(sid, port_id)
        # Neutron's default group: egress anywhere, ingress from the group's own members
        assert {(r.direction, r.ethertype, r.remote_group_id) for r in rules} == {
            ("egress", "IPv4", None), ("egress", "IPv6", None),
            ("ingress", "IPv4", group["id"]), ("ingress", "IPv6", group["id"])}
    # the host's set of the group holds every member's address, the stray port's too (the second server's own
    # address comes with the members push to the host, at most about a second after its build)
    lite.wait_until(lambda: set(driver.group_members(group["id"])) == {stray, *ips.values()}, timeout=30,
                    what="every member in the host's set")
    # a rule added reaches both servers' ports (the rules push)
    r = lite.post(f"{NET}/security-group-rules", token=t, json={"security_group_rule": {
        "security_group_id": group["id"], "direction": "ingress", "protocol": "tcp", "port_range_min": 22,
        "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}})
    assert r.status_code == 201, r.text
    lite.wait_until(lambda: all(any(rule.port_range_min == 22 for rule in driver.vif_rules(sid, driver.list_vifs(sid)[0]))
                                for sid in ids), timeout=30, what="the new rule on both ports")
