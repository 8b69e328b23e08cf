"""Hand-written SQL run as statements PostgreSQL prepared once per connection (compute_platform/sql.py): the
same answers as unprepared, and a connection that lost them (a reconnect under the statement, a DEALLOCATE)
prepares them again instead of failing."""
import pytest
from django.db import connection

from compute_platform import sql

pytestmark = pytest.mark.service


def test_a_prepared_statement_answers_as_the_plain_one_with_its_parameters(db):
    text = "SELECT %s::int + %s::int, %s::text || 'x'"
    assert sql.rows(text, [40, 2, "a"], prepare=True) == sql.rows(text, [40, 2, "a"]) == [(42, "ax")]
    assert sql.rows(text, [1, 1, "b"], prepare=True) == [(2, "bx")]  # the prepared one again, other parameters


def test_statements_lost_by_the_connection_are_prepared_again(transactional_db):
    text = "SELECT %s::int * 2"
    assert sql.rows(text, [21], prepare=True) == [(42,)]
    with connection.cursor() as cur:
        cur.execute("DEALLOCATE ALL")  # as a new connection under the same Django connection would have none
    assert sql.rows(text, [4], prepare=True) == [(8,)]
