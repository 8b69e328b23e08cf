"""Secure defaults: no published SECRET_KEY outside DEBUG, secrets under .run/ readable by their owner only,
passwords never in argv, and every run's logs kept (a bounded number of runs)."""
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from compute_platform.checks import secret_key_is_set
from devtools import run_stack
from devtools.services import free_port

REPO = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _env(**changes) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return dict(env, DJANGO_SETTINGS_MODULE="compute_platform.settings", **changes)


# ---- SECRET_KEY -------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["dev-only-insecure-key-change-me", "change-me", "   "])
def test_the_check_refuses_a_placeholder_key_outside_debug(settings, key):
    settings.DEBUG, settings.SECRET_KEY = False, key
    assert [e.id for e in secret_key_is_set(None)] == ["compute_platform.E001"]


def test_the_check_accepts_a_real_key_and_debug_accepts_the_placeholder(settings):
    settings.DEBUG, settings.SECRET_KEY = False, "x" * 50
    assert secret_key_is_set(None) == []
    settings.DEBUG, settings.SECRET_KEY = True, settings.INSECURE_SECRET_KEY
    assert secret_key_is_set(None) == []


def test_management_commands_refuse_to_run_without_a_key():
    res = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, env=_env(), capture_output=True,
                         text=True, timeout=120)
    assert res.returncode != 0 and "compute_platform.E001" in res.stderr, res.stderr
    ok = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, env=_env(SECRET_KEY="k" * 50),
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr


def test_gunicorn_refuses_to_serve_without_a_key():
    """The real server, not a simulation: its worker fails to boot and the master exits."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.run([gunicorn, "compute_platform.wsgi:application", "--config",
                           str(REPO / "compute_platform" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{free_port()}",
                           "--workers", "1", "--no-control-socket"], cwd=REPO, env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0
    assert "SECRET_KEY is missing" in proc.stderr, proc.stderr[-3000:]


def test_make_run_generates_a_key_once_and_keeps_it_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(run_stack, "SECRET_KEY_FILE", tmp_path / "secret-key")
    key = run_stack.secret_key()
    assert len(key) >= 50 and _mode(tmp_path / "secret-key") == 0o600
    assert run_stack.secret_key() == key  # kept across runs
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert run_stack.secret_key() == "from-the-environment"


# ---- state files ------------------------------------------------------------------------------------

def test_the_sqlite_database_and_its_wal_files_are_owner_only(tmp_path, monkeypatch):
    db = tmp_path / "db.sqlite3"
    monkeypatch.setattr(run_stack, "SQLITE_DB", db)
    old_umask = os.umask(0o022)  # the usual one: files world-readable unless made otherwise
    try:
        run_stack.restrict_sqlite_files()
        with sqlite3.connect(db) as conn:  # as Django configures it (settings: journal_mode=WAL)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE t (secret TEXT)")
            conn.execute("INSERT INTO t VALUES ('hash')")
            files = sorted(p.name for p in tmp_path.iterdir())
            assert files == ["db.sqlite3", "db.sqlite3-shm", "db.sqlite3-wal"]
            assert {p.name: _mode(p) for p in tmp_path.iterdir()} == dict.fromkeys(files, 0o600)
    finally:
        os.umask(old_umask)
    db.chmod(0o644)  # a database made before this change is tightened on the next run
    run_stack.restrict_sqlite_files()
    assert _mode(db) == 0o600


# ---- passwords out of argv --------------------------------------------------------------------------

def test_user_create_takes_no_password_argument():
    with pytest.raises(CommandError, match="unrecognized arguments: --password"):
        call_command("user_create", "alice", "--project", "demo", "--password", "visible-in-ps")


def test_user_create_without_user_password_and_no_terminal_says_what_to_set(monkeypatch):
    monkeypatch.delenv("USER_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", open(os.devnull))
    with pytest.raises(CommandError, match="set USER_PASSWORD"):
        call_command("user_create", "alice", "--project", "demo")


# ---- logs of earlier runs ---------------------------------------------------------------------------

def test_each_run_logs_to_its_own_folder_and_only_the_last_runs_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(run_stack, "LOGS", tmp_path / "logs")
    monkeypatch.setattr(run_stack, "LOG_DIR", tmp_path / "logs" / "latest")
    start = time.time()
    folders = [run_stack.new_log_dir(now=start + i) for i in range(run_stack.KEEP_RUN_LOGS + 2)]
    (folders[-1] / "api.log").write_text("this run\n")
    assert (tmp_path / "logs" / "latest" / "api.log").read_text() == "this run\n"
    assert (tmp_path / "logs" / "latest").resolve() == folders[-1]
    kept = sorted(p for p in (tmp_path / "logs").iterdir() if not p.is_symlink())
    assert kept == folders[2:]  # the two oldest went
    assert _mode(folders[-1]) == 0o700
    again = run_stack.new_log_dir(now=start + run_stack.KEEP_RUN_LOGS + 1)  # same second: a new folder still
    assert again != folders[-1] and again.name.startswith(folders[-1].name)
