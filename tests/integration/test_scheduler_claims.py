"""Atomic claims under concurrency: 50 boots against room for 20."""
from concurrent.futures import ThreadPoolExecutor


def test_fifty_concurrent_boots_fill_exactly_the_twenty_slots(make_stack):
    # Two hosts with room for 10 m1.tiny (512 MB) each; RAM is the binding resource.
    stack = make_stack(hosts=("small1", "small2"), FAKE_HOST_MEMORY_MB=5120, FAKE_HOST_VCPUS=64)
    token = stack.token()
    image = stack.image_id()

    def boot(i):
        body = {"server": {"name": f"c{i}", "imageRef": image, "flavorRef": "1"}}
        return stack.post("/compute/v2.1/servers", json=body, token=token)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(boot, range(50)))
    assert [r.status_code for r in responses] == [202] * 50, [r.text for r in responses if r.status_code != 202]
    ids = [r.json()["server"]["id"] for r in responses]

    def settled():
        servers = stack.get("/compute/v2.1/servers/detail").json()["servers"]
        done = [s for s in servers if s["id"] in ids and s["status"] in ("ACTIVE", "ERROR")]
        return servers if len(done) == 50 else None

    servers = stack.wait_until(settled, timeout=120, what="all 50 servers ACTIVE or ERROR")
    active = [s for s in servers if s["status"] == "ACTIVE"]
    errors = [s for s in servers if s["status"] == "ERROR"]
    assert len(active) == 20 and len(errors) == 30
    assert all(s["fault"]["message"].startswith("No valid host was found") for s in errors)
    per_host = {}
    for s in active:
        per_host[s["OS-EXT-SRV-ATTR:host"]] = per_host.get(s["OS-EXT-SRV-ATTR:host"], 0) + 1
    assert per_host == {"small1": 10, "small2": 10}
    for hyp in stack.get("/compute/v2.1/os-hypervisors/detail").json()["hypervisors"]:
        assert hyp["memory_mb_used"] == 5120 <= hyp["memory_mb"]  # full, never overcommitted

    # Deleting one ACTIVE server frees exactly one slot, which the next boot takes.
    assert stack.delete(f"/compute/v2.1/servers/{active[0]['id']}").status_code == 204
    stack.wait_gone(active[0]["id"])
    again = boot(99).json()["server"]["id"]
    assert stack.wait_status(again, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == active[0]["OS-EXT-SRV-ATTR:host"]
