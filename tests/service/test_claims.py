"""Scheduler claims: one conditional UPDATE on the host row decides, so concurrent boots never overcommit."""
import random
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compute_platform.compute.exceptions import NoValidHost
from compute_platform.compute.models import Host
from compute_platform.compute.scheduler.claims import (
    CANDIDATES, claim_release, host_candidates, host_states, schedule_and_claim,
)
from compute_platform.compute.scheduler.filters import RequestSpec, filter_hosts
from compute_platform.compute.scheduler.weighers import weigh_hosts

from .conftest import concurrently

pytestmark = pytest.mark.service


def spec(n: int = 0, *, memory_mb: int = 512) -> RequestSpec:
    return RequestSpec(instance_uuid=f"00000000-0000-0000-0000-{n:012d}", project_id="p", vcpus=1,
                       memory_mb=memory_mb, root_gb=1)


def used(host: Host) -> tuple[int, int, int]:
    host.refresh_from_db()
    return host.vcpus_used, host.memory_mb_used, host.disk_gb_used


def test_a_claim_is_one_conditional_update_of_the_host_row(world):
    host = world.host("node1", memory_mb=1024)
    with CaptureQueriesContext(connection) as queries:
        assert schedule_and_claim(spec=spec()).id == host.id
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1, writes
    update = writes[0]
    assert update.startswith("UPDATE compute_host") and "memory_mb_used <=" in update.split("WHERE")[1]
    assert used(host) == (1, 512, 1)


def test_a_full_host_is_skipped_and_no_host_is_no_valid_host(world):
    full, roomy = world.host("node1", memory_mb=512), world.host("node2", memory_mb=4096)
    full.memory_mb_used = 512
    full.save()
    assert schedule_and_claim(spec=spec(memory_mb=1024)).id == roomy.id
    with pytest.raises(NoValidHost, match="No valid host"):
        schedule_and_claim(spec=spec(memory_mb=8192))
    assert used(full) == (0, 512, 0) and used(roomy) == (1, 1024, 1)


def test_a_disabled_or_down_host_takes_nothing(world):
    world.host("off", enabled=False)
    world.host("down", last_heartbeat=None)
    with pytest.raises(NoValidHost):
        schedule_and_claim(spec=spec())
    assert set(Host.objects.values_list("memory_mb_used", flat=True)) == {0}


def test_release_gives_back_exactly_once(world):
    host = world.host("node1")
    inst = world.instance(host=host)  # claimed: resources_claimed is set
    Host.objects.filter(pk=host.pk).update(vcpus_used=1, memory_mb_used=512, disk_gb_used=1)
    assert claim_release(instance_id=inst.pk) is True
    assert claim_release(instance_id=inst.pk) is False  # a redelivered delete changes nothing
    assert used(host) == (0, 0, 0)


def test_concurrent_claims_fill_exactly_the_room_there_is(world_committed):
    # Room for 5 instances over two hosts (3 + 2); 12 requests race for it from their own connections.
    world_committed.host("node1", memory_mb=3 * 512)
    world_committed.host("node2", memory_mb=2 * 512)

    def claim(i):
        with transaction.atomic():
            return schedule_and_claim(spec=spec(i)).name

    results = concurrently(claim, 12)
    placed = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if not isinstance(r, str)]
    assert len(placed) == 5 and len(refused) == 7 and all(isinstance(r, NoValidHost) for r in refused), results
    assert sorted(placed) == ["node1"] * 3 + ["node2"] * 2
    assert dict(Host.objects.values_list("name", "memory_mb_used")) == {"node1": 3 * 512, "node2": 2 * 512}


def test_the_sql_candidates_are_the_python_filters_and_weigher_over_every_host(world):
    # Random clouds: down, forced down, disabled and full hosts, two zones, server-group policies. The fast
    # path's query must give the hosts (and order) the Python filters and weigher give over all hosts.
    rng = random.Random(7)
    now = timezone.now()
    for i in range(60):
        world.host(f"h{i:03d}", vcpus=rng.choice([1, 2, 4]), memory_mb=rng.choice([512, 1024, 2048, 4096]),
                   disk_gb=rng.choice([1, 10]), availability_zone=rng.choice(["nova", "edge"]),
                   enabled=rng.random() > 0.1, forced_down=rng.random() < 0.05,
                   last_heartbeat=rng.choice([now, now, now - timedelta(seconds=3600), None]),
                   vcpus_used=rng.choice([0, 1]), memory_mb_used=rng.choice([0, 512, 1024]))
    ids = list(Host.objects.values_list("id", flat=True))
    for n in range(40):
        policy = rng.choice([None, "affinity", "anti-affinity"])
        group = {h: rng.randint(1, 2) for h in rng.sample(ids, rng.randint(0, 5))} if policy else {}
        s = RequestSpec(instance_uuid="u", project_id="p", vcpus=rng.choice([1, 2]),
                        memory_mb=rng.choice([256, 512, 1024]), root_gb=rng.choice([1, 5]),
                        availability_zone=rng.choice([None, "edge"]), group_policy=policy, group_hosts=group,
                        group_max_per_host=rng.choice([1, 2]))
        everything = [h.id for h in weigh_hosts(filter_hosts(host_states(), s)[0], s)]
        assert [h.id for h in host_candidates(s, limit=1000)] == everything, (n, s)
        assert [h.id for h in host_candidates(s)] == everything[:CANDIDATES], (n, s)


def test_a_placement_reads_a_few_host_rows_however_many_hosts(world):
    for i in range(50):
        world.host(f"h{i:03d}")
    with CaptureQueriesContext(connection) as queries:
        schedule_and_claim(spec=spec())
    reads = [q["sql"] for q in queries if "FROM compute_host" in q["sql"] and q["sql"].startswith("SELECT")]
    assert len(reads) == 1 and reads[0].rstrip().endswith(f"LIMIT {CANDIDATES}"), reads
