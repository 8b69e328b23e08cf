"""os-quota-sets and quota enforcement against a live stack: shapes, admin-only updates, Nova's 403
wording on boot, /limits from the quotas, and exactly-N under concurrent boots."""
from concurrent.futures import ThreadPoolExecutor



QUOTAS = "/compute/v2.1/os-quota-sets"
RESOURCES = {"instances", "cores", "ram", "key_pairs", "metadata_items", "server_groups", "server_group_members",
             "injected_files", "injected_file_content_bytes", "injected_file_path_bytes", "fixed_ips",
             "floating_ips", "security_groups", "security_group_rules"}


# Nova's defaults (the integration Stack otherwise lifts instances/cores/ram for the other tests).
STACK = {"hosts": ["q1", "q2"], "users": {"quinn": "quota-a", "rhea": "quota-b", "sam": "quota-c"},
         "env": {"QUOTA_INSTANCES": 10, "QUOTA_CORES": 20, "QUOTA_RAM": 51200}}


def project_id(api, name) -> str:
    return [p for p in api.get("/identity/v3/projects").json()["projects"] if p["name"] == name][0]["id"]


def set_quota(api, pid, **values):
    r = api.request("PUT", f"{QUOTAS}/{pid}", json={"quota_set": values})
    assert r.status_code == 200, r.text
    return r.json()["quota_set"]


def test_show_defaults_update_detail_and_revert(api):
    pid = project_id(api, "quota-a")
    quinn = api.token("quinn", "quinn-pw", "quota-a")
    shown = api.get(f"{QUOTAS}/{pid}", token=quinn).json()["quota_set"]
    assert set(shown) == RESOURCES | {"id"} and shown["id"] == pid
    assert (shown["instances"], shown["cores"], shown["ram"], shown["key_pairs"], shown["metadata_items"],
            shown["server_groups"], shown["server_group_members"]) == (10, 20, 51200, 100, 128, 10, 10)
    assert api.get(f"{QUOTAS}/{pid}/defaults", token=quinn).json()["quota_set"] == shown

    updated = set_quota(api, pid, instances=3, cores="8", key_pairs=-1)
    assert "id" not in updated and (updated["instances"], updated["cores"], updated["key_pairs"]) == (3, 8, -1)
    assert api.get(f"{QUOTAS}/{pid}", token=quinn).json()["quota_set"]["instances"] == 3
    assert api.get(f"{QUOTAS}/{pid}/defaults").json()["quota_set"]["instances"] == 10

    sid = api.boot(name="counted", token=quinn, flavor="2").json()["server"]["id"]  # 1 vCPU, 2048 MB
    detail = api.get(f"{QUOTAS}/{pid}/detail", token=quinn).json()["quota_set"]
    assert detail["instances"] == {"in_use": 1, "limit": 3, "reserved": 0}
    assert detail["ram"] == {"in_use": 2048, "limit": 51200, "reserved": 0}
    limits = api.get("/compute/v2.1/limits", token=quinn).json()["limits"]["absolute"]
    assert (limits["maxTotalInstances"], limits["maxTotalCores"], limits["totalInstancesUsed"],
            limits["totalRAMUsed"], limits["maxServerMeta"], limits["maxTotalKeypairs"]) == (3, 8, 1, 2048, 128, -1)

    # Below usage: refused without force, accepted with it.
    r = api.request("PUT", f"{QUOTAS}/{pid}", json={"quota_set": {"instances": 0}})
    assert r.status_code == 400 and "already used and reserved 1" in r.json()["badRequest"]["message"]
    assert set_quota(api, pid, instances=0, force=True)["instances"] == 0
    assert api.request("DELETE", f"{QUOTAS}/{pid}").status_code == 202
    assert api.get(f"{QUOTAS}/{pid}").json()["quota_set"]["instances"] == 10
    api.delete(f"/compute/v2.1/servers/{sid}")


def test_policy_and_validation(api):
    pid_a, pid_b = project_id(api, "quota-a"), project_id(api, "quota-b")
    quinn = api.token("quinn", "quinn-pw", "quota-a")
    assert api.get(f"{QUOTAS}/{pid_b}", token=quinn).status_code == 403
    assert api.get(f"{QUOTAS}/{pid_b}/detail", token=quinn).status_code == 403
    r = api.request("PUT", f"{QUOTAS}/{pid_a}", token=quinn, json={"quota_set": {"instances": 100}})
    assert r.status_code == 403 and "forbidden" in r.json()
    assert api.request("DELETE", f"{QUOTAS}/{pid_a}", token=quinn).status_code == 403
    for bad in ({"instances": -2}, {"instances": "many"}, {"instances": 1.5}, {"bogus": 1}, {"cores": True}):
        r = api.request("PUT", f"{QUOTAS}/{pid_a}", json={"quota_set": bad})
        assert r.status_code == 400 and "badRequest" in r.json(), (bad, r.text)
    assert api.get(f"{QUOTAS}/no-such-project").status_code == 400
    # The network quotas are accepted (as Nova 2.1) and stay -1: there is no networking to limit.
    assert set_quota(api, pid_a, floating_ips=5)["floating_ips"] == -1


def test_boot_over_quota_is_403_in_novas_words(api):
    pid = project_id(api, "quota-b")
    rhea = api.token("rhea", "rhea-pw", "quota-b")
    set_quota(api, pid, instances=2, metadata_items=1)
    r = api.boot(name="meta", token=rhea, metadata={"a": "1", "b": "2"})
    assert r.status_code == 403 and r.json()["forbidden"]["message"] == "Maximum number of metadata items exceeds 1"
    for i in range(2):
        assert api.boot(name=f"b{i}", token=rhea).status_code == 202
    r = api.boot(name="b2", token=rhea)
    assert r.status_code == 403, r.text
    assert r.json() == {"forbidden": {"code": 403, "message": "Quota exceeded for instances: Requested 1, but "
                                                              "already used 2 of 2 instances"}}
    set_quota(api, pid, instances=10, cores=2)
    r = api.boot(name="big", token=rhea, flavor="2")  # 1 more vCPU fits exactly? 2 used of 2: no
    assert r.status_code == 403
    assert r.json()["forbidden"]["message"] == "Quota exceeded for cores: Requested 1, but already used 2 of 2 cores"


def test_twenty_concurrent_boots_against_a_quota_of_five_create_exactly_five(api):
    pid = project_id(api, "quota-c")
    sam = api.token("sam", "sam-pw", "quota-c")
    set_quota(api, pid, instances=5)
    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda i: api.boot(name=f"race{i}", token=sam), range(20)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [202] * 5 + [403] * 15, [r.text for r in responses]
    assert all("Quota exceeded for instances" in r.json()["forbidden"]["message"]
               for r in responses if r.status_code == 403)
    servers = api.get("/compute/v2.1/servers", token=sam).json()["servers"]
    assert len(servers) == 5
    assert api.get("/compute/v2.1/limits", token=sam).json()["limits"]["absolute"]["totalInstancesUsed"] == 5


def user_id(api, name) -> str:
    return [u for u in api.get("/identity/v3/users").json()["users"] if u["name"] == name][0]["id"]


def test_per_user_quotas(api):
    pid, uid = project_id(api, "quota-c"), user_id(api, "sam")
    sam = api.token("sam", "sam-pw", "quota-c")
    set_quota(api, pid, ram=8192, instances=-1)
    booted = api.boot(name="sams", token=sam)  # flavor 1: 512 MB
    assert booted.status_code == 202, booted.text
    url = f"{QUOTAS}/{pid}?user_id={uid}"
    project = api.get(f"{QUOTAS}/{pid}").json()["quota_set"]
    r = api.request("PUT", url, json={"quota_set": {"ram": "4096", "key_pairs": 5}})
    assert r.status_code == 200, r.text
    updated = r.json()["quota_set"]
    assert "id" not in updated and (updated["ram"], updated["key_pairs"], updated["instances"]) == (
        4096, 5, project["instances"])
    shown = api.get(url, token=sam).json()["quota_set"]
    assert set(shown) == RESOURCES | {"id"} and (shown["id"], shown["ram"], shown["key_pairs"]) == (pid, 4096, 5)
    assert api.get(f"{QUOTAS}/{pid}").json()["quota_set"]["ram"] == 8192  # the project's own are unchanged
    # sam's usage is his own servers' (this one and any of earlier tests, all of 512 MB).
    detail = api.get(f"{QUOTAS}/{pid}/detail?user_id={uid}").json()["quota_set"]
    assert detail["ram"]["limit"] == 4096 and detail["instances"]["in_use"] >= 1
    assert detail["ram"]["in_use"] == 512 * detail["instances"]["in_use"]
    r = api.request("PUT", url, json={"quota_set": {"ram": max(detail["ram"]["in_use"] - 1, 0)}})
    assert r.status_code == 400 and "already used" in r.json()["badRequest"]["message"]

    # A user's limit lies within the project's (unless forced); only admins set it.
    r = api.request("PUT", url, json={"quota_set": {"ram": 9000}})
    assert r.status_code == 400 and "less than or equal to 8192" in r.json()["badRequest"]["message"]
    assert set_quota_url(api, url, ram=9000, force=True)["ram"] == 9000
    assert api.request("PUT", url, token=sam, json={"quota_set": {"ram": 1}}).status_code == 403
    assert api.request("DELETE", url, token=sam).status_code == 403
    assert api.request("DELETE", url).status_code == 202
    assert api.get(url).json()["quota_set"]["ram"] == 8192
    api.delete(f"/compute/v2.1/servers/{booted.json()['server']['id']}")
    api.request("DELETE", f"{QUOTAS}/{pid}")


def set_quota_url(api, url, **values):
    r = api.request("PUT", url, json={"quota_set": values})
    assert r.status_code == 200, r.text
    return r.json()["quota_set"]


def test_quota_classes(api):
    classes = "/compute/v2.1/os-quota-class-sets"
    pid = project_id(api, "quota-a")  # no overrides of its own (reverted by the first test)
    quinn = api.token("quinn", "quinn-pw", "quota-a")
    shown = api.get(f"{classes}/default").json()["quota_class_set"]
    # 2.1: no server group quotas in a class.
    assert set(shown) == RESOURCES - {"server_groups", "server_group_members"} | {"id"}
    assert (shown["id"], shown["instances"], shown["fixed_ips"]) == ("default", 10, -1)
    original = {k: v for k, v in shown.items() if k != "id"}
    try:
        r = api.request("PUT", f"{classes}/default", json={"quota_class_set": {"instances": 110, "fixed_ips": 99}})
        assert r.status_code == 200, r.text
        updated = r.json()["quota_class_set"]
        assert "id" not in updated and (updated["instances"], updated["fixed_ips"]) == (110, 99)
        assert api.get(f"{classes}/default").json()["quota_class_set"]["instances"] == 110
        # The default class is every project's default.
        assert api.get(f"{QUOTAS}/{pid}/defaults").json()["quota_set"]["instances"] == 110
        assert api.get(f"{QUOTAS}/{pid}").json()["quota_set"]["instances"] == 110
        # Another class is independent of the defaults.
        assert api.request("PUT", f"{classes}/gold", json={"quota_class_set": {"cores": 64}}).json()[
            "quota_class_set"]["cores"] == 64
        assert api.get(f"{classes}/default").json()["quota_class_set"]["cores"] == 20
    finally:
        api.request("PUT", f"{classes}/default", json={"quota_class_set": original})
    assert api.get(f"{QUOTAS}/{pid}").json()["quota_set"]["instances"] == 10
    for bad in ({"bogus": 1}, {"instances": -2}, {"instances": "x"}):
        r = api.request("PUT", f"{classes}/default", json={"quota_class_set": bad})
        assert r.status_code == 400 and "badRequest" in r.json(), bad
    assert api.get(f"{classes}/default", token=quinn).status_code == 403
    assert api.request("PUT", f"{classes}/default", token=quinn,
                       json={"quota_class_set": {"instances": 1}}).status_code == 403


def test_user_quota_is_enforced_on_boot_and_key_pairs(api):
    pid, uid = project_id(api, "quota-b"), user_id(api, "rhea")
    rhea = api.token("rhea", "rhea-pw", "quota-b")
    set_quota(api, pid, instances=-1, cores=-1, ram=-1, key_pairs=-1)  # the project: unlimited
    url = f"{QUOTAS}/{pid}?user_id={uid}"
    in_use = api.get(f"{QUOTAS}/{pid}/detail?user_id={uid}").json()["quota_set"]
    set_quota_url(api, url, instances=in_use["instances"]["in_use"] + 1, key_pairs=in_use["key_pairs"]["in_use"],
                  force=True)
    first = api.boot(name="mine", token=rhea)
    assert first.status_code == 202, first.text
    r = api.boot(name="one-too-many", token=rhea)
    assert r.status_code == 403 and "Quota exceeded for instances" in r.json()["forbidden"]["message"]
    r = api.post("/compute/v2.1/os-keypairs", token=rhea, json={"keypair": {"name": "over"}})
    assert r.status_code == 403, r.text
    assert api.request("DELETE", url).status_code == 202
    second = api.boot(name="allowed-again", token=rhea)
    assert second.status_code == 202, second.text
    for booted in (first, second):
        api.delete(f"/compute/v2.1/servers/{booted.json()['server']['id']}")
    api.request("DELETE", f"{QUOTAS}/{pid}")
