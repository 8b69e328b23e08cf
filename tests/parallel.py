"""How `make test` spreads the tiers over pytest-xdist workers: every test belongs to a group (`group_of`), and a
group runs on one worker, in collection order, while other workers run other groups. (xdist's own `loadgroup`
cannot do it here: it renames items through a private attribute pytest 9.2 no longer has, so the groups
are made by a scheduler of our own, `GroupScheduling`, through xdist's `pytest_xdist_make_scheduler` hook.)

- `host`: whatever uses a machine-wide thing. The system tier starts (or replaces) the machine's one libvirtd
  and boots QEMU guests on it; the data-plane tests make bridges, network namespaces and dnsmasq processes that
  they list machine-wide (a reconcile removes the ones it does not know). One worker runs them one at a time.
- `service`: pytest-django's test database is made (migrated) once per worker that needs it: keep it to one.
- an integration module: its module-scoped stack (`api`) starts once, not once per worker.
- the modules in PER_TEST: each test is its own group, so their tests run side by side.
- unit tests: no group; any free worker takes them one by one.

Groups are handed out in the order of RUN_FIRST (the longest first, so no long one starts last), then in
collection order, unit tests last (they fill the gaps). Each worker has its own Redis (tests/conftest.py);
PostgreSQL database names carry the worker's pid; everything else a stack uses is a free port or its tmp_path.
"""
from __future__ import annotations

HOST_MODULES = ("tests/integration/test_netplane.py", "tests/integration/test_metadata_proxy.py")
# Modules whose tests may run on different workers: each test starts its own stack anyway (no module-scoped
# stack, checked with the fixtures' scopes), or, for the fuzz and CLI modules, their tests are long enough that
# a second or third stack (about 7 s of CPU) is worth running them side by side. A module missing here only
# runs on one worker; one listed wrongly only starts its module's fixtures once per worker it lands on.
PER_TEST = tuple(f"tests/integration/{name}.py" for name in (
    "test_fuzz", "test_clients_cli", "test_volumes_api", "test_moves_a_volumes", "test_moves_volumes",
    "test_drills", "test_recovery", "test_boot_from_volume", "test_admin", "test_host_liveness",
    "test_lost_messages", "test_killed_run", "test_multi_create", "test_domain_move", "test_host_calls",
    "test_migration_abort", "test_scheduler_claims", "test_volumes_admin", "test_console_evacuate",
    "test_console_pages", "test_celery_transport", "test_tempest_smoke", "mounts/test_stress",
    "mounts/test_interleavings", "mounts/test_fencing", "mounts/test_generation"))
# Handed out first, longest first (from `--durations=0`; see the README's "Where the suite's time goes").
RUN_FIRST = ("host", "tests/integration/test_clients_cli.py", "tests/integration/test_fuzz.py",
             "tests/integration/test_tempest_smoke.py", "tests/integration/test_api_proxies.py")


def group_of(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    if path.startswith("tests/system/") or path in HOST_MODULES:
        return "host"
    if path.startswith("tests/service/"):
        return "service"
    if path in PER_TEST:
        return nodeid
    if path.startswith("tests/integration/"):
        return path
    return None


def _rank(group: str | None) -> int:
    if group is None:
        return len(RUN_FIRST) + 1
    for i, first in enumerate(RUN_FIRST):
        if group == first or group.startswith(first + "::"):
            return i
    return len(RUN_FIRST)


def order_for_workers(items) -> None:
    """Order the items group by group, in the order the groups should be handed out (see the docstring)."""
    first_seen: dict[str | None, int] = {}
    for index, item in enumerate(items):
        first_seen.setdefault(group_of(item.nodeid), index)
    order = {id(item): (_rank(g), first_seen[g] if g is not None else i)
             for i, item in enumerate(items) for g in [group_of(item.nodeid)]}
    items.sort(key=lambda item: order[id(item)])


def make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        """xdist's per-scope scheduling, with our groups as its scopes (a test without a group: its own)."""

        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid) or nodeid

    return GroupScheduling(config, log)
