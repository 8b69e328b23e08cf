"""Schemathesis over the served OpenAPI document (/api/schema/), as an admin and as a member: no request
the schema allows (nor the near misses it generates as negative cases) may answer a 5xx.

Bounded (about 2,000 requests per role: 1-2 minutes per role on two busy cores): few examples per
operation, one unexpected method per path, deterministic generation (no randomness, so a run is
reproducible), and the legacy `/compute/v2.1/{project_id}/...` aliases left out (the same views as the
unprefixed paths). Random ids only ever reach a 404, so the caller's own
project, user and a live server of theirs are pinned in (DELETE gets a server of its own, so the others
keep theirs). Excluded: DELETE on the token (it would revoke the caller's token mid-run and turn the rest
into 401s, which proves nothing), and for the same reason the identity writes that delete, disable or
re-password the pinned project and user, or revoke the caller's role.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

STACK = {"hosts": ["node1"], "users": {"fuzzer": "fuzzing"}}

ST = str(Path(sys.executable).parent / "st")
MAX_EXAMPLES = 3

EXCLUDED_PATHS = [r"^/compute/v2\.1/\{project_id\}/"]  # aliases: the same views, fuzzed once
EXCLUDED_OPERATIONS = ["identity_token_revoke",
                       # Keystone's admin writes on the pinned project and user would delete, disable or
                       # re-password the caller (or revoke its role) mid-run, with the same effect.
                       "identity_project_delete", "identity_project_update", "identity_user_delete",
                       "identity_user_update", "identity_project_user_role_revoke"]
# Known 5xx in code other work in progress owns; the coordinator re-enables them after merging:
KNOWN_SERVER_ERRORS: list[str] = []  # operation ids with a known 5xx, excluded until fixed: none


def _whoami(api, token: str) -> dict:
    r = api.get("/identity/v3/auth/tokens", token=token, headers={"X-Subject-Token": token})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def _booted(api, token: str, name: str) -> str:
    r = api.boot(name=name, token=token)
    assert r.status_code == 202, r.text
    return r.json()["server"]["id"]


def _config(api, token: str, path: Path) -> Path:
    """schemathesis.toml: the caller's token (a header in a file, not in `ps`) and the ids they really have."""
    me = _whoami(api, token)
    server, victim = _booted(api, token, "fuzzed"), _booted(api, token, "fuzz-deleted")
    for server_id in (server, victim):
        api.wait_status(server_id, "ACTIVE")
    pinned = {"path.project_id": me["project"]["id"], "path.tenant_id": me["project"]["id"],
              "path.user_id": me["user"]["id"], "path.server_id": server, "path.host": api.hosts[0]}
    lines = [f'headers = {{ "X-Auth-Token" = "{token}" }}', "",
             # Methods a path lacks: one probe each (PATCH) is enough to see a 405, not five.
             "[phases.coverage]", 'unexpected-methods = ["PATCH"]', "",
             "[parameters]", *(f'"{k}" = "{v}"' for k, v in pinned.items()), "",
             "[[operations]]", 'include-operation-id = "compute_server_delete"',
             f'parameters = {{ "path.server_id" = "{victim}" }}', ""]
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(scope="module")
def callers(api, tmp_path_factory) -> dict:
    """Per role, its schemathesis.toml, all made before any fuzzing (the admin's run may delete what it
    finds, the seeded image included)."""
    tokens = {"admin": api.token(), "member": api.token("fuzzer", "fuzzer-pw", "fuzzing")}
    return {role: _config(api, token, tmp_path_factory.mktemp(f"fuzz-{role}") / "schemathesis.toml")
            for role, token in tokens.items()}


def _fuzz(api, config: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    report = config.parent / "events.ndjson"
    cmd = [ST, "--config-file", str(config), "run", api.url("/api/schema/"), "--url", api.url(""),
           "--checks", "not_a_server_error", "--max-examples", str(MAX_EXAMPLES),
           "--generation-deterministic", "--phases", "examples,coverage,fuzzing",
           # One worker: with two threads, Schemathesis's generator trips CPython 3.11.2's "AST constructor
           # recursion depth mismatch" SystemError (gh-106905, a thread-safety bug in the ast module fixed in
           # later 3.11 releases): a failure of the fuzzer, not of the API.
           "--workers", "1",
           # Hypothesis's "too slow" health check times data generation: on two busy cores it trips on load,
           # which says nothing about the API.
           "--suppress-health-check", "too_slow",
           "--no-color", "--request-timeout", "30", "--report", "ndjson", "--report-ndjson-path", str(report)]
    for pattern in EXCLUDED_PATHS:
        cmd += ["--exclude-path-regex", pattern]
    for operation_id in EXCLUDED_OPERATIONS + KNOWN_SERVER_ERRORS:
        cmd += ["--exclude-operation-id", operation_id]
    res = subprocess.run(cmd, cwd=config.parent, capture_output=True, text=True, timeout=900)
    events = [json.loads(line) for line in report.read_text().splitlines() if line.strip()]
    return res, events


def _counts(events: list[dict]) -> dict:
    """Operations tested, requests sent and 5xx answers, from the ndjson event stream. A 503 is counted
    apart: it is the API's documented answer when a host does not answer a call in time (console output)."""
    recorders = [e["ScenarioFinished"]["recorder"] for e in events
                 if "ScenarioFinished" in e and e["ScenarioFinished"]["status"] != "skip"]
    statuses = [i["response"]["status_code"] for r in recorders for i in r.get("interactions", {}).values()
                if i.get("response")]
    # Errors are Schemathesis's own (a timeout, a schema it cannot generate from), not answers: named here
    # so a failing run says which operation and why.
    errors = [f'{e["NonFatalError"].get("label")}: {str(e["NonFatalError"].get("value"))[:400]}'
              for e in events if "NonFatalError" in e]
    return {"operations": len({r["label"] for r in recorders}), "requests": len(statuses),
            "server_errors": sum(1 for s in statuses if s >= 500 and s != 503),
            "host_unavailable": statuses.count(503), "errors": errors}


@pytest.mark.parametrize("role", ["admin", "member"])
def test_no_request_answers_a_server_error(api, callers, role):
    res, events = _fuzz(api, callers[role])
    counts = _counts(events)
    print(f"fuzzed as {role}: {counts}\n" + res.stdout[-1500:])
    # Schemathesis counts a 503 as a failure too; only a 503 may explain its non-zero exit.
    assert counts["server_errors"] == 0 and (res.returncode == 0 or counts["host_unavailable"]), \
        f"{counts}\n{res.stdout[-20000:]}\n{res.stderr[-3000:]}\n{api.logs_tail(40)}"
    assert counts["operations"] > 50 and counts["requests"] > 1000, counts  # it really ran
