"""Fixtures every tier that starts stacks shares (integration, system): the throwaway PostgreSQL and Redis
`make test` provides, and one migrated template database per run, cloned per stack (a migration costs tens of
seconds on busy cores: the system tier clones the same one instead of migrating its own)."""
import os

import pytest

from tests.integration.stack import make_template


def _require(var: str, scheme: str) -> str:
    value = os.environ.get(var, "")
    if not value.startswith(scheme):
        pytest.fail(f"tests with a live stack need {var}={scheme}... (run them through `make test`, which starts "
                    f"PostgreSQL and Redis)", pytrace=False)
    return value


@pytest.fixture(scope="session")
def pg_url():
    return _require("DATABASE_URL", "postgres")


@pytest.fixture(scope="session")
def redis_url():
    return _require("REDIS_URL", "redis")


@pytest.fixture(scope="session")
def template_db(pg_url, tmp_path_factory):
    return make_template(pg_url, tmp_path_factory.mktemp("template"))
