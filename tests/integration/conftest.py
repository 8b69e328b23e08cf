from concurrent.futures import ThreadPoolExecutor

import pytest

from devtools.mountns import can_mount_privately

from .stack import new_stack

pytestmark = pytest.mark.integration


@pytest.fixture
def make_stack(pg_url, redis_url, template_db, tmp_path):
    """Start a live stack: make_stack(hosts=[...], **env). Stopped after the test; logs shown on failure."""
    stacks = []

    def factory(hosts=("node1", "node2"), start_workers=True, wait=True, **env):
        stack = new_stack(base_database_url=pg_url, template=template_db, redis_base_url=redis_url,
                          workdir=tmp_path / f"stack{len(stacks)}", hosts=list(hosts),
                          start_workers=start_workers, **env)
        stacks.append(stack)
        if wait:
            stack.wait_ready() if start_workers else stack.wait_until(stack._api_up, 60, what="the API")
        return stack

    yield factory
    for stack in stacks:
        stack.stop()


@pytest.fixture
def stack(make_stack):
    return make_stack()


@pytest.fixture(scope="module")
def api(pg_url, redis_url, template_db, tmp_path_factory, request):
    """One live stack shared by a test module, configured by the module's `STACK` dict:
    `hosts` (default node1 and node2; [] for an API without compute hosts), `users` ({name: project},
    members with password `<name>-pw`), `env` (settings for every process of the stack)."""
    cfg = getattr(request.module, "STACK", {})
    hosts = list(cfg.get("hosts", ["node1", "node2"]))
    stack = new_stack(base_database_url=pg_url, template=template_db, redis_base_url=redis_url,
                      workdir=tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]), hosts=hosts,
                      start_workers=bool(hosts), **cfg.get("env", {}))
    try:
        users = cfg.get("users", {})
        with ThreadPoolExecutor(max(1, len(users))) as pool:  # each is a Django start-up; overlap them
            list(pool.map(lambda u: stack.manage("user_create", u, "--project", users[u], "--role", "member",
                                                 USER_PASSWORD=f"{u}-pw"), users))
        if hosts:
            stack.wait_ready()
        else:
            stack.wait_until(stack._api_up, timeout=60, what="the API")
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def private_mount_namespace():
    """For tests that mount: refuse to run anywhere but the private namespace `make test` makes."""
    if not can_mount_privately():
        pytest.fail("this test mounts exports: it needs root in a private mount namespace (run it through "
                    "`make test`, or devtools/in_mount_ns.sh)", pytrace=False)
