"""`make tempest`: OpenStack's own conformance suite (Tempest's `tempest.api.compute` and `tempest.api.network`)
against a throwaway stack.

    python -m devtools.tempest [--smoke] [--regex RE] [--concurrency 2]

Tempest (requirements/tempest.txt) lives in its own virtualenv `.tempest-venv`, built on first use. The stack
is the integration tier's (tests/integration/stack.py): a fresh PostgreSQL database and Redis (throwaway servers
unless DATABASE_URL/REDIS_URL are set), the API, three fake hosts in one worker process, the conductor, a bind
export for volumes (mounting needs root in a private mount namespace: devtools/in_mount_ns.sh), and Tempest's
pre-provisioned accounts made with `manage.py user_create`. tempest.conf's feature flags are in
devtools/tempest_conf.py. Prints Tempest's progress, then passed/failed/skipped per module; exits 1 on any
failure. The workspace (tempest.conf, logs, results.json, failures.txt) is .run/tempest/.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from devtools.services import RUN_DIR, Postgres, Redis
from devtools.tempest_conf import accounts, accounts_yaml, tempest_conf

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".tempest-venv"
REQUIREMENTS = REPO / "requirements" / "tempest.txt"
WORKDIR = RUN_DIR / "tempest"
HOSTS = "node1..node3"
# Tempest's API suites of the compute and network services, less the tests that need what is not offered
# without asking for its extension first (Tempest skips the rest itself: routers, subnet pools ... are not
# advertised). test_port_list_filter_by_router_id makes a router without checking for `router`; TagsExtTest
# makes a router and a subnet pool once `standard-attr-tag` is there (the tags of what we offer: TagsTest and
# tests/integration/test_network_tags.py). A --regex of one's own runs without them too.
EXCLUDED = [r"tempest\.api\.network\.test_ports\.\w+\.test_port_list_filter_by_router_id\b",
            r"tempest\.api\.network\.test_tags\.TagsExtTest\."]
NOT_EXCLUDED = "^(?!" + "|".join(EXCLUDED) + ")"
FULL_REGEX = NOT_EXCLUDED + r"tempest\.api\.(compute|network)\."
# The smoke subset `make test` runs: boot, list, filter, show and act on servers; flavors, keypairs, hypervisors,
# services, limits, versions, the quotas of a project that dynamic credentials made. (Tempest's volume-attach
# classes need Neutron: tests/system attaches volumes.)
SMOKE_REGEX = "|".join(r"^tempest\.api\.compute\." + re.escape(name) for name in [
    "servers.test_create_server.ServersTestJSON.",
    "servers.test_list_server_filters.",
    *(f"servers.test_server_actions.ServerActionsTestJSON.test_{t}" for t in (
        "get_console_output", "pause_unpause_server", "reboot_server_hard", "stop_start_server",
        "suspend_resume_server")),
    "flavors.test_flavors.", "admin.test_flavors.", "keypairs.test_keypairs.", "keypairs.test_keypairs_v22.",
    "admin.test_hypervisor.HypervisorAdminTestJSON.", "admin.test_services.", "limits.test_absolute_limits.",
    "test_versions.",
    # dynamic credentials: a project and users made through Keystone's admin API, then deleted
    "admin.test_quotas.QuotasAdminTestJSON.",
])


def say(msg: str) -> None:
    print(f"[tempest] {msg}", flush=True)


def ensure_venv() -> Path:
    """The Tempest virtualenv, (re)built when requirements/tempest.txt changed."""
    stamp = VENV / ".installed"
    RUN_DIR.mkdir(exist_ok=True)
    # Parallel test workers may all ask for it at once (from a clean clone): one builds, the others wait.
    with open(RUN_DIR / "tempest-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text() != REQUIREMENTS.read_text():
            _install_venv(stamp)
    return VENV / "bin"


def _install_venv(stamp: Path) -> None:
    say(f"installing {REQUIREMENTS.read_text().split()[0]} into {VENV}")
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                    "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(REQUIREMENTS.read_text())


def product_quotas() -> dict:
    """The instance quotas a fresh install has (Nova's defaults, settings.QUOTA_DEFAULTS), in place of the
    integration stack's unlimited ones: Tempest checks them (the over-quota resize tests) as a user would."""
    from compute_platform.settings import QUOTA_DEFAULTS

    return {"QUOTA_INSTANCES": QUOTA_DEFAULTS["instances"], "QUOTA_CORES": QUOTA_DEFAULTS["cores"],
            "QUOTA_RAM": QUOTA_DEFAULTS["ram"]}


def start_stack(exit_stack: ExitStack, work: Path):
    from tests.integration.stack import ADMIN_PASSWORD, make_template, new_stack

    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not database_url:
        database_url = exit_stack.enter_context(Postgres(work)).url
    if not redis_url:
        redis_url = exit_stack.enter_context(Redis(work)).url
    template = make_template(database_url, work / "template", name=f"tempest_tmpl_{os.getpid()}")
    stack = new_stack(base_database_url=database_url, template=template, redis_base_url=redis_url,
                      workdir=work / "stack", hosts=[f"node{i}" for i in range(1, 4)], start_workers=False,
                      **product_quotas())
    exit_stack.callback(stack.stop)
    # A snapshot takes a second, as a small real one does: long enough that a second createImage meets the
    # first one's image_snapshot task_state (Tempest's 409 test), short enough to cost little.
    stack.start_fake_hosts(HOSTS, FAKE_DRIVER_DELAYS="snapshot=1")
    stack.start_conductor()
    export = work / "exports" / "default"
    export.mkdir(parents=True, exist_ok=True)
    stack.manage("export_create", "default", str(export), "--fstype", "bind", "--if-missing")
    password = ADMIN_PASSWORD + "-tempest"
    accts = accounts(password)
    # The project's own `user_create`, every account in one Django start-up (15 start-ups took minutes here).
    stack.manage("shell", "-c", "from django.core.management import call_command\n" + "\n".join(
        f"call_command('user_create', {a['username']!r}, project={a['project_name']!r}, role={a['role']!r})"
        for a in accts), USER_PASSWORD=password)
    stack.wait_ready()
    return stack, accts, password


# As an operator would provide them: a shared tenant network every project's servers land on, and an external
# network (the floating IP pool). Their names go into tempest.conf.
NETWORKS = {"private": {"shared": True, "cidr": "10.10.0.0/20"},
            "public": {"router:external": True, "cidr": "172.24.4.0/24"}}


def create_networks(stack) -> dict[str, str]:
    ids = {}
    for name, spec in NETWORKS.items():
        attrs = {k: v for k, v in spec.items() if k != "cidr"}
        r = stack.post("/network/v2.0/networks", json={"network": {"name": name, **attrs}})
        r.raise_for_status()
        ids[name] = r.json()["network"]["id"]
        r = stack.post("/network/v2.0/subnets", json={"subnet": {
            "name": f"{name}-subnet", "network_id": ids[name], "ip_version": 4, "cidr": spec["cidr"]}})
        r.raise_for_status()
    return ids


def write_workspace(bin_dir: Path, stack, accts, password: str, work: Path) -> Path:
    ws = work / "workspace"
    for sub in ("etc", "logs"):
        (ws / sub).mkdir(parents=True, exist_ok=True)
    # What `tempest init` writes, without registering the workspace in ~/.tempest (names must be unique there).
    package = subprocess.run([str(bin_dir / "python"), "-c", "import os, tempest; print(os.path.dirname("
                              "tempest.__file__))"], capture_output=True, text=True, check=True).stdout.strip()
    (ws / ".stestr.conf").write_text(f"[DEFAULT]\ntest_path={package}/test_discover\ntop_dir={package}\n"
                                     "group_regex=([^\\.]*\\.)*\n")
    (ws / "etc" / "accounts.yaml").write_text(accounts_yaml(accts))
    compute_max = stack.get("/compute/v2.1/").json()["version"]["version"]
    volume_max = version_document(stack, "/volume/v3/")["version"]["version"]
    networks = create_networks(stack)
    image_id, image_id_alt = tempest_images(stack)
    (ws / "etc" / "tempest.conf").write_text(tempest_conf(
        api_url=stack.url("").rstrip("/"), workspace=ws, image_id=image_id, image_id_alt=image_id_alt,
        compute_max=compute_max, volume_max=volume_max, hosts=3, password=password,
        network_extensions=[e["alias"] for e in stack.get("/network/v2.0/extensions").json()["extensions"]],
        fixed_network="private", public_network=("public", networks["public"])))
    shutil.rmtree(ws / "locks", ignore_errors=True)  # pre-provisioned account locks of an earlier run
    return ws


def tempest_images(stack) -> tuple[str, str]:
    """image_ref and image_ref_alt: two public images with data (Tempest downloads image_ref's bits to upload
    them again, and filters servers by image, which needs two distinct ones). The fake hosts never read the
    bits, so a few bytes do."""
    ids = []
    for name in ("tempest-image", "tempest-image-alt"):
        r = stack.post("/image/v2/images", json={"name": name, "visibility": "public", "disk_format": "raw",
                                                 "container_format": "bare"})
        assert r.status_code == 201, r.text
        image_id = r.json()["id"]
        r = stack.request("PUT", f"/image/v2/images/{image_id}/file", data=name.encode() * 64,
                          headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 204, r.text
        ids.append(image_id)
    return ids[0], ids[1]


def version_document(stack, path: str) -> dict:
    """{"version": ...} from a service's version URL (Cinder's /volume/v3/ answers with a one-item list)."""
    body = stack.get(path).json()
    return body if "version" in body else {"version": body["versions"][0]}


def summarize(bin_dir: Path, ws: Path, regex: str) -> dict:
    listed = subprocess.run([str(bin_dir / "tempest"), "run", "--list-tests", "--regex", regex], cwd=ws,
                            capture_output=True, text=True, check=True).stdout
    (ws / "listed.txt").write_text(listed)
    subunit = subprocess.run([str(bin_dir / "stestr"), "last", "--subunit"], cwd=ws, capture_output=True,
                             check=True).stdout
    out = subprocess.run([str(bin_dir / "python"), str(REPO / "devtools" / "tempest_results.py"),
                          str(ws / "listed.txt")], input=subunit, capture_output=True, check=True).stdout
    return json.loads(out)


def report(summary: dict, wall: float, ws: Path) -> int:
    modules = summary["modules"]
    width = max(len(m) for m in modules) if modules else 20
    keys = ("passed", "failed", "skipped", "not run")
    print(f"\n{'module':<{width}}  " + "  ".join(f"{k:>7}" for k in keys))
    total = dict.fromkeys(keys, 0)
    for module in sorted(modules):
        counts = modules[module]
        print(f"{module:<{width}}  " + "  ".join(f"{counts[k]:>7}" for k in keys))
        for k in keys:
            total[k] += counts[k]
    print(f"{'total (' + str(sum(total.values())) + ' tests)':<{width}}  " + "  ".join(f"{total[k]:>7}" for k in keys))
    print(f"wall time {wall / 60:.1f} min; {time.strftime('%Y-%m-%d')}")
    failures = {k: v for k, v in summary["details"].items() if "Traceback" in v or "Error" in v}
    (ws / "failures.txt").write_text("".join(f"=== {k}\n{v}\n" for k, v in sorted(failures.items())))
    (ws / "results.json").write_text(json.dumps({"total": total, "wall_seconds": round(wall), **summary}, indent=1))
    say(f"details: {ws / 'failures.txt'}, {ws / 'results.json'}")
    return 1 if total["failed"] or total["not run"] else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.tempest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="only the smoke subset `make test` runs")
    parser.add_argument("--regex", help=f"tests to run (default {FULL_REGEX})")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    args = parser.parse_args(argv)
    # Tempest searches the regex in a test's id; `.*?` keeps an unanchored --regex unanchored.
    regex = f"{NOT_EXCLUDED}.*?(?:{args.regex})" if args.regex else (SMOKE_REGEX if args.smoke else FULL_REGEX)
    bin_dir = ensure_venv()
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    with ExitStack() as exit_stack:
        t0 = time.monotonic()
        stack, accts, password = start_stack(exit_stack, work)
        ws = write_workspace(bin_dir, stack, accts, password, work)
        say(f"stack up in {time.monotonic() - t0:.0f} s at {stack.url('/')}; running {regex}")
        t0 = time.monotonic()
        subprocess.run([str(bin_dir / "tempest"), "run", "--regex", regex, "--concurrency",
                        str(args.concurrency)], cwd=ws)
        wall = time.monotonic() - t0
        return report(summarize(bin_dir, ws, regex), wall, ws)


if __name__ == "__main__":
    sys.exit(main())
