"""min_count / max_count against a live stack: Nova's names, the first server in the answer, the
reservation id, the quota deciding how many, and all-or-nothing placement."""
import psycopg2

SERVERS = "/compute/v2.1/servers"


def names_of(stack, prefix):
    return sorted(s["name"] for s in stack.get(f"{SERVERS}?name=^{prefix}").json()["servers"])


def test_multi_create(make_stack):
    # Room for 4 m1.tiny (512 MB) per host.
    stack = make_stack(hosts=("mc1", "mc2"), FAKE_HOST_MEMORY_MB=2048)
    r = stack.boot(name="web", max_count=3)
    assert r.status_code == 202, r.text
    first = r.json()["server"]
    # Nova's create answer names no server; the first is web-1.
    assert "name" not in first and "adminPass" in first and r.headers["Location"].endswith(first["id"])
    assert stack.server(first["id"])["name"] == "web-1"
    assert names_of(stack, "web") == ["web-1", "web-2", "web-3"]
    for s in stack.get(f"{SERVERS}?name=^web").json()["servers"]:
        stack.wait_status(s["id"], "ACTIVE")
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT reservation_id FROM compute_instance WHERE name LIKE 'web-%%'")
        (reservation,), = cur.fetchall()
    assert reservation.startswith("r-")

    r = stack.boot(name="rsv", min_count=2, return_reservation_id=True)
    assert r.status_code == 202 and list(r.json()) == ["reservation_id"], r.text
    assert names_of(stack, "rsv") == ["rsv-1", "rsv-2"]

    # One server keeps its name.
    solo = stack.boot(name="solo", min_count=1, max_count=1).json()["server"]["id"]
    assert stack.server(solo)["name"] == "solo"


def test_quota_decides_how_many_and_placement_is_all_or_nothing(make_stack):
    stack = make_stack(hosts=("mq1",), FAKE_HOST_MEMORY_MB=2048, QUOTA_INSTANCES=4)
    # max_count 10 with room in the quota for 4: Nova creates 4.
    r = stack.boot(name="q", min_count=2, max_count=10)
    assert r.status_code == 202, r.text
    assert names_of(stack, "q") == [f"q-{i}" for i in range(1, 5)]
    r = stack.boot(name="over", min_count=1)
    assert r.status_code == 403
    assert r.json()["forbidden"]["message"] == ("Quota exceeded for instances: Requested 1, but already used 4 of "
                                                "4 instances")
    for s in stack.get(SERVERS).json()["servers"]:
        stack.delete(f"{SERVERS}/{s['id']}")
        stack.wait_gone(s["id"])

    # The host has room for 4: with one server on it, a request for 4 fits the (raised) quota but not the
    # host, so all 4 are ERROR and no claim is left behind.
    pid = [p for p in stack.get("/identity/v3/projects").json()["projects"] if p["name"] == "admin"][0]["id"]
    assert stack.request("PUT", f"/compute/v2.1/os-quota-sets/{pid}",
                         json={"quota_set": {"instances": 10}}).status_code == 200
    stack.boot(name="fill", max_count=1)
    r = stack.boot(name="big", min_count=4, max_count=4)
    assert r.status_code == 202
    big = stack.get(f"{SERVERS}/detail?name=^big").json()["servers"]
    assert len(big) == 4 and {s["status"] for s in big} == {"ERROR"}
    assert all(s["fault"]["message"].startswith("No valid host") for s in big)
    hyp = stack.get("/compute/v2.1/os-hypervisors/detail").json()["hypervisors"][0]
    assert hyp["memory_mb_used"] == 512  # only "fill"
