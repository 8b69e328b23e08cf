"""Identity and images left the compute app for their own apps: a database migrated before the move keeps
its rows, its foreign keys follow the renamed tables, and permissions granted on the moved models still
hold. On SQLite (the single-machine default) and PostgreSQL, each in a throwaway database."""
import json
import os
import subprocess
import sys
import uuid

import pytest

from .stack import REPO, _admin_sql, _with_db

pytestmark = pytest.mark.integration

PROJECT_ID = "a" * 32


def run_probe(database_url: str, tmp_path) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, COMPUTE_STATE_DIR=str(tmp_path),
               DJANGO_SETTINGS_MODULE="compute_platform.settings")
    done = subprocess.run([sys.executable, "-m", "tests.integration.domain_move_probe"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def check(result: dict) -> None:
    assert result["instance"] == ["vm1", "alpha", "cirros"]
    assert result["image_owner"] == PROJECT_ID
    assert result["roles"] == [["alice", "alpha", "admin"]]
    assert result["token"] == ["alice", "alpha", True]  # a token issued before the move still authenticates
    assert result["fresh_token_roles"] == ["admin", "manager", "member", "reader"]  # admin implies the rest
    assert (result["quota"], result["server_group"], result["volume"]) == (7, "alpha", "alpha")
    assert result["permission"] is True
    assert result["content_types"] == [["identity", "project"], ["identity", "roleassignment"],
                                       ["identity", "token"], ["images", "image"]]
    expected = {"images_image.owner_id": "identity_project", "compute_instance.image_id": "images_image"}
    for column, tables in result["references"].items():
        assert tables == [expected.get(column, "identity_project")], column
    assert result["moved_back"] == {"compute_project": 1, "compute_roleassignment": 1, "compute_token": 2,
                                    "compute_image": 1, "compute_instance": 1}


def test_rows_survive_the_move_on_sqlite(tmp_path):
    check(run_probe(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path))


def test_rows_survive_the_move_on_postgresql(pg_url, tmp_path):
    name = f"move_{uuid.uuid4().hex[:12]}"
    _admin_sql(pg_url, f"CREATE DATABASE {name}")
    try:
        check(run_probe(_with_db(pg_url, name), tmp_path))
    finally:
        _admin_sql(pg_url, f"DROP DATABASE IF EXISTS {name}")
