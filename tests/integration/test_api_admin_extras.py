"""Admin and discovery APIs of Nova 2.1 against a live stack: extensions, hypervisor search and servers,
os-hosts, os-simple-tenant-usage and os-instance_usage_audit_log: status, body shapes, 403/404/400."""
from datetime import datetime, timedelta, timezone

from .faults import assert_fault

STACK = {"hosts": ["ax1", "ax2"], "users": {"mia": "extras-a", "ned": "extras-b"}}
V = "/compute/v2.1"
OLD_AND_NEW = {"OpenStack-API-Version": "compute 2.1"}


def project_id(api, name) -> str:
    return [p for p in api.get("/identity/v3/projects").json()["projects"] if p["name"] == name][0]["id"]


def member(api, name="mia", project="extras-a"):
    return api.token(name, f"{name}-pw", project)


def test_extensions(api):
    mia = member(api)
    extensions = api.get(f"{V}/extensions", token=mia).json()["extensions"]
    assert len(extensions) == 99 and all(set(e) == {"alias", "description", "links", "name", "namespace",
                                                     "updated"} for e in extensions)
    assert api.get(f"{V}/extensions/os-hypervisors", token=mia).json()["extension"]["name"] == "Hypervisors"
    assert_fault(api.get(f"{V}/extensions/no-such-alias"), 404)


def test_hypervisor_search_and_servers(api):
    mia = member(api)
    sid = api.boot(name="on-a-host", token=mia).json()["server"]["id"]
    server = api.wait_status(sid, "ACTIVE")
    host = server["OS-EXT-SRV-ATTR:host"] if "OS-EXT-SRV-ATTR:host" in server else None
    found = api.get(f"{V}/os-hypervisors/ax/search").json()["hypervisors"]
    assert sorted(h["hypervisor_hostname"] for h in found) == ["ax1", "ax2"]
    assert all(set(h) == {"id", "hypervisor_hostname", "state", "status"} for h in found)
    assert [h["hypervisor_hostname"] for h in api.get(f"{V}/os-hypervisors/x2/search").json()["hypervisors"]] == ["ax2"]

    with_servers = api.get(f"{V}/os-hypervisors/ax/servers").json()["hypervisors"]
    holding = [h for h in with_servers if "servers" in h]
    assert len(holding) == 1 and {s["uuid"] for s in holding[0]["servers"]} == {sid}
    assert holding[0]["servers"][0]["name"].startswith("instance-")
    assert host in (None, holding[0]["hypervisor_hostname"])
    for suffix in ("search", "servers"):
        assert_fault(api.get(f"{V}/os-hypervisors/nomatch/{suffix}"), 404, "nomatch")
        assert_fault(api.get(f"{V}/os-hypervisors/ax/{suffix}", token=mia), 403)
    api.delete(f"{V}/servers/{sid}")
    api.wait_gone(sid)


def test_os_hosts(api):
    hosts = api.get(f"{V}/os-hosts").json()["hosts"]
    assert sorted(h["host_name"] for h in hosts) == ["ax1", "ax2"]
    assert all(h["service"] == "compute" and h["zone"] == "nova" for h in hosts)
    assert len(api.get(f"{V}/os-hosts", params={"zone": "nova"}).json()["hosts"]) == 2
    assert api.get(f"{V}/os-hosts", params={"zone": "xxx"}).json() == {"hosts": []}

    shown = api.get(f"{V}/os-hosts/ax1").json()["host"]
    assert [r["resource"]["project"] for r in shown[:3]] == ["(total)", "(used_now)", "(used_max)"]
    assert all(set(r["resource"]) == {"host", "project", "cpu", "memory_mb", "disk_gb"} for r in shown)
    assert shown[0]["resource"]["host"] == "ax1" and shown[0]["resource"]["cpu"] > 0

    # Disabling hides the host from the list (Nova lists enabled services) and from the scheduler.
    r = api.request("PUT", f"{V}/os-hosts/ax2", json={"status": "Disable"})
    assert r.status_code == 200 and r.json() == {"host": "ax2", "status": "disabled"}
    assert [h["host_name"] for h in api.get(f"{V}/os-hosts").json()["hosts"]] == ["ax1"]
    assert api.request("PUT", f"{V}/os-hosts/ax2", json={"status": "enable"}).json()["status"] == "enabled"

    for bad in ({}, {"status": "invalid"}, {"maintenance_mode": "invalid"}, {"status": "enable", "x": 1},
                {"status": "eNable"}):
        assert_fault(api.request("PUT", f"{V}/os-hosts/ax1", json=bad), 400)
    assert_fault(api.request("PUT", f"{V}/os-hosts/nonexistent", json={"status": "enable"}), 404)
    r = api.request("PUT", f"{V}/os-hosts/ax1", json={"maintenance_mode": "enable"})
    assert r.status_code == 501 and r.json()["notImplemented"]["code"] == 501
    for action in ("reboot", "shutdown", "startup"):
        assert_fault(api.get(f"{V}/os-hosts/nonexistent/{action}"), 404)
        r = api.get(f"{V}/os-hosts/ax1/{action}")
        assert r.status_code == 501 and "notImplemented" in r.json()
        assert_fault(api.get(f"{V}/os-hosts/ax1/{action}", token=member(api)), 403)
    assert_fault(api.get(f"{V}/os-hosts/nonexistent"), 404)
    mia = member(api)
    assert_fault(api.get(f"{V}/os-hosts", token=mia), 403)
    assert_fault(api.get(f"{V}/os-hosts/ax1", token=mia), 403)
    assert_fault(api.request("PUT", f"{V}/os-hosts/ax1", token=mia, json={"status": "enable"}), 403)


def _iso(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")


def test_simple_tenant_usage(api):
    mia, ned = member(api), member(api, "ned", "extras-b")
    pid = project_id(api, "extras-a")
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    sid = api.boot(name="billed", token=mia, flavor="2").json()["server"]["id"]
    api.wait_status(sid, "ACTIVE")
    end = datetime.now(timezone.utc) + timedelta(days=1)  # capped at now
    period = {"start": _iso(start), "end": _iso(end)}

    usage = api.get(f"{V}/os-simple-tenant-usage/{pid}", token=mia, params=period).json()["tenant_usage"]
    assert usage["tenant_id"] == pid and usage["start"] == _iso(start)
    # Earlier tests' servers of the project (deleted since) count too: they ran in the period.
    (server,) = [s for s in usage["server_usages"] if s["instance_id"] == sid]
    assert set(server) == {"ended_at", "flavor", "hours", "instance_id", "local_gb", "memory_mb", "name",
                           "started_at", "state", "tenant_id", "uptime", "vcpus"}
    assert (server["instance_id"], server["name"], server["state"], server["ended_at"], server["memory_mb"]) == (
        sid, "billed", "active", None, 2048)
    assert 0 < server["hours"] < 1 and usage["total_hours"] == sum(s["hours"] for s in usage["server_usages"])

    listed = api.get(f"{V}/os-simple-tenant-usage", params=period).json()["tenant_usages"]
    mine = [u for u in listed if u["tenant_id"] == pid]
    assert len(mine) == 1 and "server_usages" not in mine[0]
    detailed = api.get(f"{V}/os-simple-tenant-usage", params={**period, "detailed": "1"}).json()["tenant_usages"]
    assert sid in [s["instance_id"] for u in detailed if u["tenant_id"] == pid for s in u["server_usages"]]

    # A period before the server launched: nothing; another project's usage is not a member's to read.
    before = {"start": _iso(start - timedelta(days=2)), "end": _iso(start - timedelta(days=1))}
    assert api.get(f"{V}/os-simple-tenant-usage/{pid}", token=mia, params=before).json() == {"tenant_usage": {}}
    assert_fault(api.get(f"{V}/os-simple-tenant-usage/{pid}", token=ned, params=period), 403)
    assert_fault(api.get(f"{V}/os-simple-tenant-usage", token=mia, params=period), 403)
    assert_fault(api.get(f"{V}/os-simple-tenant-usage/{pid}", params={"start": "2026-13-01T00:00:00"}), 400)
    assert_fault(api.get(f"{V}/os-simple-tenant-usage/{pid}", params={"start": _iso(end), "end": _iso(start)}), 400)

    api.delete(f"{V}/servers/{sid}")
    api.wait_gone(sid)
    usage = api.get(f"{V}/os-simple-tenant-usage/{pid}", token=mia, params=period).json()["tenant_usage"]
    (server,) = [s for s in usage["server_usages"] if s["instance_id"] == sid]
    assert server["state"] == "terminated" and server["ended_at"]


def test_instance_usage_audit_log(api):
    log = api.get(f"{V}/os-instance_usage_audit_log").json()["instance_usage_audit_logs"]
    assert (log["num_hosts"], log["num_hosts_not_run"], sorted(log["hosts_not_run"]), log["log"]) == (
        2, 2, ["ax1", "ax2"], {})
    assert log["overall_status"] == "0 of 2 hosts done. 0 errors."
    shown = api.get(f"{V}/os-instance_usage_audit_log/2026-03-15 10:00:00").json()["instance_usage_audit_log"]
    assert (shown["period_beginning"], shown["period_ending"]) == ("2026-02-01 00:00:00", "2026-03-01 00:00:00")
    shown = api.get(f"{V}/os-instance_usage_audit_log/2026-01-01 00:00:00.000").json()["instance_usage_audit_log"]
    assert (shown["period_beginning"], shown["period_ending"]) == ("2025-11-01 00:00:00", "2025-12-01 00:00:00")
    assert_fault(api.get(f"{V}/os-instance_usage_audit_log/not-a-time"), 400)
    assert_fault(api.get(f"{V}/os-instance_usage_audit_log", token=member(api)), 403)
    assert_fault(api.get(f"{V}/os-instance_usage_audit_log/2026-03-15 10:00:00", token=member(api)), 403)


def test_server_diagnostics(api):
    mia = member(api)
    sid = api.boot(name="diagnosed", token=mia, flavor="2").json()["server"]["id"]
    api.wait_status(sid, "ACTIVE")
    r = api.get(f"{V}/servers/{sid}/diagnostics")
    assert r.status_code == 200, r.text
    diagnostics = r.json()
    # The fake driver's guest: 1 vCPU, 2048 MB, a root disk vda, no I/O.
    assert diagnostics == {"cpu0_time": 0, "vda_read": 0, "vda_read_req": 0, "vda_write": 0, "vda_write_req": 0,
                           "vda_errors": 0, "memory": 2048 * 1024}
    assert_fault(api.get(f"{V}/servers/{sid}/diagnostics", token=mia), 403, "os-server-diagnostics")
    assert_fault(api.get(f"{V}/servers/00000000-0000-0000-0000-000000000000/diagnostics"), 404)
    assert api.action(sid, {"os-stop": None}).status_code == 202
    api.wait_status(sid, "SHUTOFF")
    assert "cpu0_time" not in api.get(f"{V}/servers/{sid}/diagnostics").json()
    api.delete(f"{V}/servers/{sid}")
    api.wait_gone(sid)


def test_restore_and_force_delete(api):
    mia, ned = member(api), member(api, "ned", "extras-b")
    sid = api.boot(name="not-soft-deleted", token=mia).json()["server"]["id"]
    api.wait_status(sid, "ACTIVE")
    # No soft delete (reclaim_instance_interval 0): nothing is ever SOFT_DELETED, so restore is a 409.
    assert_fault(api.action(sid, {"restore": None}, token=mia), 409, "vm_state active")
    assert_fault(api.action(sid, {"forceDelete": None}, token=ned), 404)  # another project's server
    r = api.action(sid, {"forceDelete": None}, token=mia)
    assert r.status_code == 202 and not r.content
    api.wait_gone(sid)
    assert_fault(api.action(sid, {"restore": None}, token=mia), 404)
