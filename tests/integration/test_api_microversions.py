"""Compute microversion steps against a live stack: what each step adds to or removes from a request or a
body (Nova's REST API version history), one test per step or group of steps."""
import pytest

from api.common.microversions import MAX_VERSION, parse

SERVERS = "/compute/v2.1/servers"
STACK = {"hosts": ["mv1"], "users": {"mia": "mvp"}}


def served(step: str):
    """Run only once MAX_VERSION reaches `step` (a step's code may land before the steps below it)."""
    return pytest.mark.skipif(MAX_VERSION < parse(step), reason=f"microversion {step} is above MAX_VERSION")


def call(api, method, path, version=None, token=None, **kw):
    headers = {"OpenStack-API-Version": f"compute {version}"} if version else {}
    return api.request(method, path, token=token, headers=headers, **kw)


def token_of(api, token) -> dict:
    return api.get("/identity/v3/auth/tokens", headers={"X-Subject-Token": token}).json()["token"]


@pytest.fixture(scope="module")
def mia(api):
    return api.token("mia", "mia-pw", "mvp")


@pytest.fixture(scope="module")
def server(api, mia):  # booted at 2.52 (tags); used only by tests of steps from 2.3
    """One ACTIVE server of mia's, with a description, tags and a hostname given at boot."""
    body = {"server": {"name": "Web Server_1", "imageRef": api.image_id(), "flavorRef": "1",
                       "description": "the web", "tags": ["a", "b"], "networks": "none"}}  # required from 2.37
    r = call(api, "POST", SERVERS, "2.52", token=mia, json=body)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    api.wait_until(lambda: call(api, "GET", f"{SERVERS}/{sid}", token=mia).json()["server"]["status"] == "ACTIVE",
                   what="server ACTIVE")
    return sid


def show(api, sid, version, token=None):
    r = call(api, "GET", f"{SERVERS}/{sid}", version, token=token)
    assert r.status_code == 200, r.text
    return r.json()["server"]


@served("2.3")
def test_2_3_extended_attributes_for_admins(api, mia, server):
    assert "OS-EXT-SRV-ATTR:hostname" not in show(api, server, "2.2")
    body = show(api, server, "2.3")
    assert body["OS-EXT-SRV-ATTR:hostname"] == "web-server-1"
    assert (body["OS-EXT-SRV-ATTR:launch_index"], body["OS-EXT-SRV-ATTR:kernel_id"],
            body["OS-EXT-SRV-ATTR:root_device_name"]) == (0, "", "/dev/vda")
    assert body["OS-EXT-SRV-ATTR:reservation_id"].startswith("r-") and "OS-EXT-SRV-ATTR:user_data" in body
    assert not any(k.startswith("OS-EXT-SRV-ATTR:") for k in show(api, server, "2.3", token=mia))


@served("2.19")
def test_2_9_locked_2_16_host_status_2_19_description(api, mia, server):
    assert {"locked", "host_status", "description"}.isdisjoint(show(api, server, "2.8"))
    assert show(api, server, "2.9")["locked"] is False
    assert show(api, server, "2.16")["host_status"] == "UP"
    assert "host_status" not in show(api, server, "2.16", token=mia)  # admin-only by Nova's default policy
    assert show(api, server, "2.19", token=mia)["description"] == "the web"
    # description is refused below 2.19, as Nova's schema does
    r = call(api, "POST", SERVERS, "2.18", token=mia, json={"server": {
        "name": "x", "imageRef": api.image_id(), "flavorRef": "1", "description": "no"}})
    assert r.status_code == 400 and "description" in r.json()["badRequest"]["message"]


@served("2.94")
def test_update_name_description_hostname(api, mia, server):
    r = call(api, "PUT", f"{SERVERS}/{server}", "2.74", token=mia, json={"server": {"description": None}})
    assert r.status_code == 200, r.text
    body = r.json()["server"]
    assert body["description"] is None and "OS-EXT-STS:vm_state" not in body  # the short form before 2.75
    assert set(body) >= {"locked", "tags", "trusted_image_certificates", "server_groups", "locked_reason"}
    r = call(api, "PUT", f"{SERVERS}/{server}", "2.75", token=mia, json={"server": {"description": "back"}})
    assert r.json()["server"]["OS-EXT-STS:vm_state"] == "active"
    assert call(api, "PUT", f"{SERVERS}/{server}", "2.89", token=mia,
                json={"server": {"hostname": "web"}}).status_code == 400  # hostname from 2.90
    r = call(api, "PUT", f"{SERVERS}/{server}", "2.90", token=mia, json={"server": {"hostname": "web-1"}})
    assert r.json()["server"]["OS-EXT-SRV-ATTR:hostname"] == "web-1"  # shown to its owner from 2.90
    assert call(api, "PUT", f"{SERVERS}/{server}", "2.90", token=mia,
                json={"server": {"hostname": "web.example"}}).status_code == 400  # FQDN only from 2.94
    r = call(api, "PUT", f"{SERVERS}/{server}", "2.94", token=mia, json={"server": {"hostname": "web.example"}})
    assert r.status_code == 200 and r.json()["server"]["OS-EXT-SRV-ATTR:hostname"] == "web.example"
    r = call(api, "PUT", f"{SERVERS}/{server}", "2.1", token=mia, json={"server": {"name": "Web Server_1"}})
    assert r.status_code == 200 and r.json()["server"]["name"] == "Web Server_1"


@served("2.26")
def test_2_26_tags(api, mia, server):
    tags = f"{SERVERS}/{server}/tags"
    assert call(api, "GET", tags, "2.25", token=mia).status_code == 404
    assert call(api, "GET", tags, "2.26", token=mia).json() == {"tags": ["a", "b"]}
    assert show(api, server, "2.26", token=mia)["tags"] == ["a", "b"]
    r = call(api, "PUT", f"{tags}/c", "2.26", token=mia)
    assert r.status_code == 201 and r.headers["Location"].endswith(f"/servers/{server}/tags/c")
    assert call(api, "PUT", f"{tags}/c", "2.26", token=mia).status_code == 204
    assert call(api, "GET", f"{tags}/c", "2.26", token=mia).status_code == 204
    assert call(api, "GET", f"{tags}/zz", "2.26", token=mia).status_code == 404
    assert call(api, "PUT", tags, "2.26", token=mia, json={"tags": ["x/y"]}).status_code == 400
    assert call(api, "PUT", tags, "2.26", token=mia, json={"tags": [str(i) for i in range(51)]}).status_code == 400

    def listed(query):
        r = call(api, "GET", f"{SERVERS}?{query}", "2.26", token=mia)
        return [s["id"] for s in r.json()["servers"]]
    assert listed("tags=a,c") == [server] and listed("tags=a,zz") == []
    assert listed("tags-any=zz,c") == [server] and listed("not-tags-any=c") == []
    assert listed("not-tags=a,zz") == [server]
    assert call(api, "PUT", tags, "2.26", token=mia, json={"tags": ["a", "b"]}).json() == {"tags": ["a", "b"]}
    assert call(api, "DELETE", f"{tags}/b", "2.26", token=mia).status_code == 204
    assert call(api, "DELETE", f"{tags}/b", "2.26", token=mia).status_code == 404
    assert call(api, "GET", tags, "2.26", token=mia).json() == {"tags": ["a"]}
    assert call(api, "DELETE", tags, "2.26", token=mia).status_code == 204
    assert call(api, "PUT", tags, "2.26", token=mia, json={"tags": ["a", "b"]}).status_code == 200


@served("2.38")
def test_2_38_unknown_status_is_400(api, mia):
    assert call(api, "GET", f"{SERVERS}?status=NOPE", "2.37", token=mia).json() == {"servers": []}
    assert call(api, "GET", f"{SERVERS}?status=NOPE", "2.38", token=mia).status_code == 400


@served("2.100")
def test_2_47_flavor_2_63_certs_2_71_groups_2_96_az_2_100_hints(api, mia, server):
    body = show(api, server, "2.47", token=mia)
    assert body["flavor"] == {"vcpus": 1, "ram": body["flavor"]["ram"], "disk": body["flavor"]["disk"],
                              "ephemeral": 0, "swap": 0, "original_name": body["flavor"]["original_name"],
                              "extra_specs": {}}
    assert "trusted_image_certificates" not in body and "server_groups" not in body
    assert show(api, server, "2.63", token=mia)["trusted_image_certificates"] is None
    assert show(api, server, "2.71", token=mia)["server_groups"] == []
    detail = call(api, "GET", f"{SERVERS}/detail", "2.71", token=mia).json()["servers"][0]
    assert "server_groups" not in detail  # show, update and rebuild only, as Nova
    assert show(api, server, "2.96", token=mia)["pinned_availability_zone"] is None
    assert show(api, server, "2.100", token=mia)["scheduler_hints"] == {}
    r = call(api, "POST", SERVERS, "2.63", token=mia, json={"server": {
        "name": "certs", "imageRef": api.image_id(), "flavorRef": "1", "trusted_image_certificates": ["c1", "c2"],
        "networks": "none"}})
    assert r.status_code == 202, r.text
    assert show(api, r.json()["server"]["id"], "2.63", token=mia)["trusted_image_certificates"] == ["c1", "c2"]
    r = call(api, "POST", SERVERS, "2.63", token=mia, json={"server": {
        "name": "certs", "imageRef": api.image_id(), "flavorRef": "1", "trusted_image_certificates": [],
        "networks": "none"}})
    assert r.status_code == 400


@served("2.10")
def test_2_10_keypairs_of_another_user(api, mia):
    mia_id = token_of(api, mia)["user"]["id"]
    r = call(api, "POST", "/compute/v2.1/os-keypairs", "2.10", json={"keypair": {"name": "for-mia",
                                                                               "user_id": mia_id}})
    assert r.status_code == 201 and r.json()["keypair"]["user_id"] == mia_id, r.text
    assert [k["keypair"]["name"] for k in call(api, "GET", "/compute/v2.1/os-keypairs", "2.10",
                                                token=mia).json()["keypairs"]] == ["for-mia"]
    assert call(api, "GET", f"/compute/v2.1/os-keypairs/for-mia?user_id={mia_id}", "2.10").status_code == 200
    assert call(api, "GET", "/compute/v2.1/os-keypairs/for-mia?user_id=1", "2.10", token=mia).status_code == 403
    assert call(api, "POST", "/compute/v2.1/os-keypairs", "2.9", json={"keypair": {
        "name": "x", "user_id": mia_id}}).status_code == 400  # user_id only from 2.10
    assert call(api, "DELETE", f"/compute/v2.1/os-keypairs/for-mia?user_id={mia_id}", "2.10").status_code == 204


@served("2.11")
def test_2_11_forced_down(api):
    services = "/compute/v2.1/os-services"
    assert "forced_down" not in call(api, "GET", services, "2.10").json()["services"][0]
    assert call(api, "GET", services, "2.11").json()["services"][0]["forced_down"] is False
    body = {"host": "mv1", "binary": "nova-compute", "forced_down": True}
    assert call(api, "PUT", f"{services}/force-down", "2.10", json=body).status_code == 404
    r = call(api, "PUT", f"{services}/force-down", "2.11", json=body)
    assert r.json() == {"service": {"host": "mv1", "binary": "nova-compute", "forced_down": True}}
    shown = call(api, "GET", services, "2.11").json()["services"][0]
    assert (shown["forced_down"], shown["state"]) == (True, "down")
    call(api, "PUT", f"{services}/force-down", "2.11", json={**body, "forced_down": False})
    assert call(api, "GET", services, "2.11").json()["services"][0]["state"] == "up"


@served("2.64")
def test_2_13_2_15_2_64_server_groups(api, mia):
    groups = "/compute/v2.1/os-server-groups"
    r = call(api, "POST", groups, "2.12", json={"server_group": {"name": "g", "policies": ["affinity"]}})
    assert set(r.json()["server_group"]) == {"id", "name", "policies", "members", "metadata"}
    r = call(api, "POST", groups, "2.13", token=mia, json={"server_group": {"name": "g", "policies": ["affinity"]}})
    assert r.json()["server_group"]["project_id"] and r.json()["server_group"]["user_id"]
    assert "user_id" in r.json()["server_group"]
    assert call(api, "POST", groups, "2.14", json={"server_group": {
        "name": "s", "policies": ["soft-affinity"]}}).status_code == 400  # soft policies from 2.15
    assert call(api, "POST", groups, "2.15", json={"server_group": {
        "name": "s", "policies": ["soft-anti-affinity"]}}).status_code == 200
    r = call(api, "POST", groups, "2.64", json={"server_group": {
        "name": "n", "policy": "anti-affinity", "rules": {"max_server_per_host": 2}}})
    assert r.status_code == 200, r.text
    assert set(r.json()["server_group"]) == {"id", "name", "policy", "rules", "members", "project_id", "user_id"}
    assert r.json()["server_group"]["rules"] == {"max_server_per_host": 2}
    for bad in ({"name": "n", "policies": ["affinity"]}, {"name": "n", "policy": "affinity",
                                                         "rules": {"max_server_per_host": 2}}):
        assert call(api, "POST", groups, "2.64", json={"server_group": bad}).status_code == 400, bad


@served("2.17")
def test_2_17_trigger_crash_dump(api, mia, server):
    action = f"{SERVERS}/{server}/action"
    assert call(api, "POST", action, "2.16", token=mia, json={"trigger_crash_dump": None}).status_code == 400
    r = call(api, "POST", action, "2.17", token=mia, json={"trigger_crash_dump": None})
    assert r.status_code == 202, r.text
    # The fake guest's kernel logs the NMI on its console; the action finishes with the event.
    api.wait_until(lambda: "NMI received" in call(api, "POST", action, token=mia, json={
        "os-getConsoleOutput": {}}).json()["output"], what="the NMI on the console")
    actions = call(api, "GET", f"{SERVERS}/{server}/os-instance-actions", token=mia).json()["instanceActions"]
    assert actions[0]["action"] == "trigger_crash_dump"
    call(api, "POST", action, token=mia, json={"os-stop": None})
    api.wait_until(lambda: show(api, server, "2.1", token=mia)["status"] == "SHUTOFF", what="SHUTOFF")
    assert call(api, "POST", action, "2.17", token=mia, json={"trigger_crash_dump": None}).status_code == 409
    call(api, "POST", action, token=mia, json={"os-start": None})
    api.wait_until(lambda: show(api, server, "2.1", token=mia)["status"] == "ACTIVE", what="ACTIVE")


@served("2.21")
def test_2_21_actions_of_a_deleted_server(api, mia):
    r = call(api, "POST", SERVERS, token=mia, json={"server": {"name": "gone", "imageRef": api.image_id(),
                                                                "flavorRef": "1"}})
    sid = r.json()["server"]["id"]
    api.wait_until(lambda: show(api, sid, "2.1", token=mia)["status"] == "ACTIVE", what="ACTIVE")
    call(api, "DELETE", f"{SERVERS}/{sid}", token=mia)
    api.wait_gone(sid)
    assert call(api, "GET", f"{SERVERS}/{sid}/os-instance-actions", "2.20", token=mia).status_code == 404
    actions = call(api, "GET", f"{SERVERS}/{sid}/os-instance-actions", "2.21", token=mia).json()["instanceActions"]
    assert [a["action"] for a in actions] == ["delete", "create"]


@served("2.84")
def test_instance_action_steps_2_51_2_58_2_62_2_66_2_84(api, mia, server):
    path = f"{SERVERS}/{server}/os-instance-actions"
    first = call(api, "GET", path, "2.58", token=mia).json()["instanceActions"]
    assert all("updated_at" in a for a in first) and "updated_at" not in call(
        api, "GET", path, "2.57", token=mia).json()["instanceActions"][0]
    create = first[-1]["request_id"]
    assert "events" not in call(api, "GET", f"{path}/{create}", "2.50", token=mia).json()["instanceAction"]
    events = call(api, "GET", f"{path}/{create}", "2.51", token=mia).json()["instanceAction"]["events"]
    assert events and all("traceback" not in e for e in events)
    event = call(api, "GET", f"{path}/{create}", "2.62", token=mia).json()["instanceAction"]["events"][-1]
    assert len(event["hostId"]) == 56 and "host" not in event  # the host itself only for admins
    admin_event = call(api, "GET", f"{path}/{create}", "2.84").json()["instanceAction"]["events"][-1]
    assert admin_event["host"] == "mv1" and "details" in admin_event and "traceback" in admin_event
    # 2.58 paging: one at a time, then the rest after the marker.
    page = call(api, "GET", f"{path}?limit=1", "2.58", token=mia).json()
    assert [a["request_id"] for a in page["instanceActions"]] == [first[0]["request_id"]]
    assert page["links"][0]["rel"] == "next"
    rest = call(api, "GET", f"{path}?marker={first[0]['request_id']}", "2.58", token=mia).json()
    assert [a["request_id"] for a in rest["instanceActions"]] == [a["request_id"] for a in first[1:]]
    assert call(api, "GET", f"{path}?marker=nope", "2.58", token=mia).status_code == 400
    since = first[0]["updated_at"]
    assert [a["request_id"] for a in call(api, "GET", f"{path}?changes-since={since}", "2.58", token=mia).json()[
        "instanceActions"]] == [first[0]["request_id"]]
    assert call(api, "GET", f"{path}?changes-before={since}", "2.65", token=mia).status_code == 400
    assert call(api, "GET", f"{path}?changes-before={since}", "2.66", token=mia).status_code == 200


@served("2.57")
def test_2_36_2_39_2_57_limits_and_quotas_lose_keys(api, mia):
    def absolute(version):
        return set(call(api, "GET", "/compute/v2.1/limits", version, token=mia).json()["limits"]["absolute"])
    assert {"maxSecurityGroups", "maxImageMeta", "maxPersonality"} <= absolute("2.35")
    assert "maxSecurityGroups" not in absolute("2.36") and "maxImageMeta" in absolute("2.38")
    assert "maxImageMeta" not in absolute("2.39") and "maxPersonality" in absolute("2.56")
    assert "maxPersonality" not in absolute("2.57")
    project = token_of(api, mia)["project"]["id"]
    quotas = f"/compute/v2.1/os-quota-sets/{project}"
    assert "floating_ips" in call(api, "GET", quotas, "2.35", token=mia).json()["quota_set"]
    assert "floating_ips" not in call(api, "GET", quotas, "2.36", token=mia).json()["quota_set"]
    assert "injected_files" not in call(api, "GET", f"{quotas}/detail", "2.57", token=mia).json()["quota_set"]
    assert call(api, "PUT", quotas, "2.36", json={"quota_set": {"floating_ips": 1}}).status_code == 400
    assert call(api, "PUT", quotas, "2.35", json={"quota_set": {"floating_ips": 1}}).status_code == 200


@served("2.88")
def test_hypervisor_steps_2_28_2_33_2_53_2_75_2_88(api, server):
    hyps = "/compute/v2.1/os-hypervisors"
    old = call(api, "GET", f"{hyps}/detail", "2.27").json()["hypervisors"][0]
    assert old["cpu_info"] == "{}" and isinstance(old["id"], int)
    assert call(api, "GET", f"{hyps}/detail", "2.28").json()["hypervisors"][0]["cpu_info"] == {}
    assert "hypervisors_links" in call(api, "GET", f"{hyps}?limit=1", "2.33").json()
    listed = call(api, "GET", f"{hyps}/detail?with_servers=true", "2.53").json()["hypervisors"][0]
    assert listed["id"] == listed["service"]["id"] != old["id"] and len(listed["id"]) == 36
    assert server in [s["uuid"] for s in listed["servers"]]
    assert call(api, "GET", f"{hyps}/{old['id']}", "2.53").status_code == 400  # ids are uuids from 2.53
    shown = call(api, "GET", f"{hyps}/{listed['id']}", "2.53").json()["hypervisor"]
    assert "servers" not in shown and shown["vcpus"] >= 1
    assert call(api, "GET", f"{hyps}?hypervisor_hostname_pattern=mv", "2.53").json()["hypervisors"][0][
        "hypervisor_hostname"] == "mv1"
    assert call(api, "GET", f"{hyps}?hypervisor_hostname_pattern=zz", "2.53").status_code == 404
    assert call(api, "GET", f"{hyps}/mv/search", "2.53").status_code == 404
    new = call(api, "GET", f"{hyps}/{listed['id']}", "2.88").json()["hypervisor"]
    assert "vcpus" not in new and "cpu_info" not in new and new["uptime"] is None
    assert call(api, "GET", f"{hyps}/statistics", "2.87").status_code == 200
    assert call(api, "GET", f"{hyps}/statistics", "2.88").status_code == 404


@served("2.53")
def test_2_53_services_by_uuid(api):
    services = "/compute/v2.1/os-services"
    service = call(api, "GET", services, "2.53").json()["services"][0]
    assert len(service["id"]) == 36
    assert call(api, "PUT", f"{services}/disable", "2.53", json={"host": "mv1"}).status_code == 400
    r = call(api, "PUT", f"{services}/{service['id']}", "2.53", json={"status": "disabled",
                                                                      "disabled_reason": "maint"})
    assert r.status_code == 200 and r.json()["service"]["status"] == "disabled", r.text
    assert r.json()["service"]["disabled_reason"] == "maint" and "forced_down" in r.json()["service"]
    assert call(api, "PUT", f"{services}/{service['id']}", "2.53", json={}).status_code == 400
    r = call(api, "PUT", f"{services}/{service['id']}", "2.53", json={"status": "enabled"})
    assert r.json()["service"]["status"] == "enabled"


@served("2.44")
def test_removed_routes_answer_404(api):
    for path, removed in (("/compute/v2.1/os-hosts", "2.43"), ("/compute/v2.1/images", "2.36"),
                          ("/compute/v2.1/os-networks", "2.36")):
        assert call(api, "GET", path, removed).json()["itemNotFound"]["code"] == 404


@served("2.102")
def test_flavor_steps_2_55_2_61_2_75_2_102(api):
    flavors = "/compute/v2.1/flavors"
    r = call(api, "POST", flavors, "2.54", json={"flavor": {"name": "d1", "ram": 64, "vcpus": 1, "disk": 1,
                                                              "description": "no"}})
    assert r.status_code == 400  # description from 2.55
    r = call(api, "POST", flavors, "2.55", json={"flavor": {"name": "d1", "id": "d1", "ram": 64, "vcpus": 1,
                                                              "disk": 1, "description": "small"}})
    assert r.status_code == 200 and r.json()["flavor"]["description"] == "small", r.text
    assert "description" not in call(api, "GET", f"{flavors}/d1", "2.54").json()["flavor"]
    listed = call(api, "GET", flavors, "2.55").json()["flavors"]
    assert {"id", "name", "links", "description"} == set(listed[0])
    assert call(api, "PUT", f"{flavors}/d1", "2.54", json={"flavor": {"description": "x"}}).status_code == 404
    r = call(api, "PUT", f"{flavors}/d1", "2.55", json={"flavor": {"description": "tiny"}})
    assert r.status_code == 200 and r.json()["flavor"]["description"] == "tiny"
    assert call(api, "PUT", f"{flavors}/d1", "2.55", json={"flavor": {"name": "x"}}).status_code == 400
    shown = call(api, "GET", f"{flavors}/d1", "2.61").json()["flavor"]
    assert shown["extra_specs"] == {} and shown["swap"] == ""
    assert call(api, "GET", f"{flavors}/d1", "2.75").json()["flavor"]["swap"] == 0
    new = call(api, "GET", f"{flavors}/d1", "2.102").json()["flavor"]
    assert "rxtx_factor" not in new and "OS-FLV-DISABLED:disabled" not in new


@served("2.66")
def test_2_66_changes_before(api, mia, server):
    def listed(query):
        return [s["id"] for s in call(api, "GET", f"{SERVERS}?{query}", "2.66", token=mia).json()["servers"]]
    assert server in listed("changes-before=2100-01-01T00:00:00Z")
    assert listed("changes-before=2000-01-01T00:00:00Z") == []
    assert call(api, "GET", f"{SERVERS}?changes-since=2001-01-01T00:00:00Z&changes-before=2000-01-01T00:00:00Z",
                "2.66", token=mia).status_code == 400


@served("2.40")
def test_2_40_tenant_usage_paging(api, mia, server):
    usage = "/compute/v2.1/os-simple-tenant-usage"
    query = "start=2000-01-01T00:00:00&detailed=1"
    assert "tenant_usages_links" not in call(api, "GET", f"{usage}?{query}&limit=1", "2.39").json()
    page = call(api, "GET", f"{usage}?{query}&limit=1", "2.40").json()
    (first,) = page["tenant_usages"][0]["server_usages"]
    assert page["tenant_usages_links"][0]["rel"] == "next"
    rest = call(api, "GET", f"{usage}?{query}&marker={first['instance_id']}", "2.40").json()
    later = [s["instance_id"] for u in rest["tenant_usages"] for s in u["server_usages"]]
    assert first["instance_id"] not in later and later
    assert call(api, "GET", f"{usage}?{query}&marker=nope", "2.40").status_code == 400
