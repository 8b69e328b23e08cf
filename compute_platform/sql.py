"""Pieces of hand-written SQL that run unchanged on SQLite and PostgreSQL.

The hottest reads and writes (a placement, a boot's quota read, a build's NICs) are written in SQL: through
the ORM, compiling them costs more Python than the database spends running them (measured per boot in
`make bench` and `bench_network`). What differs between the two backends is said once, here: how a UUID column
is stored (PostgreSQL's uuid; SQLite's 32 hex digits, as Django keeps it) and how text is aggregated."""
import hashlib
import itertools
import json
import re
import uuid
import weakref

from django.db import DatabaseError, connection


def sql_in(column: str, values, negate: bool = False) -> tuple[str, list]:
    """`column [NOT] IN (%s, ...)` and its parameters. An empty list is no SQL (IN () is a syntax error):
    nothing is in it."""
    values = list(values)
    if not values:
        return ("1 = 1" if negate else "1 = 0"), []
    return f"{column} {'NOT IN' if negate else 'IN'} ({', '.join(['%s'] * len(values))})", values


def uuid_param(value) -> uuid.UUID | str:
    """A UUID (or its text) as a parameter compared with a UUID column."""
    value = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    return value if connection.vendor == "postgresql" else value.hex


def uuid_params(values) -> list:
    """The UUIDs among `values` (text an API user sent may be anything: what is no UUID matches nothing)."""
    out = []
    for value in values:
        try:
            out.append(uuid_param(value))
        except ValueError:
            continue
    return out


def uuid_value(value) -> uuid.UUID | None:
    """A UUID column's value as a cursor returns it (uuid.UUID, or 32 hex digits), as a UUID."""
    if value is None:
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def uuid_str(value) -> str | None:
    """A UUID column's value as a cursor returns it, as canonical text."""
    return None if value is None else str(uuid_value(value))


def uuid_text(column: str, vendor: str | None = None) -> str:
    """SQL: a UUID column as its canonical text (lowercase, with dashes), as str(uuid) gives it."""
    if (vendor or connection.vendor) == "postgresql":
        return f"({column})::text"
    x = f"lower({column})"
    parts = "||'-'||".join(f"substr({x}, {a}, {n})" for a, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)))
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE {parts} END"


def string_agg(expression: str) -> str:
    """SQL: an aggregate of text values joined by commas (None for none), in no particular order: a row per
    group instead of a row (and a Python tuple) per value, for the addresses of a group's members or a subnet's
    allocations. joined_values reads it."""
    function = "STRING_AGG" if connection.vendor == "postgresql" else "GROUP_CONCAT"
    return f"{function}({expression}, ',')"


def joined_values(text: str | None) -> list[str]:
    """The values a string_agg read (addresses hold no commas)."""
    return text.split(",") if text else []


def json_value(value, default=None):
    """A JSON column read through a bare cursor: text on both backends (Django reads jsonb as text too)."""
    if isinstance(value, (str, bytes)):
        return json.loads(value)
    return default if value is None else value


# The statements each PostgreSQL connection has prepared (PREPARE survives a rollback; a new connection, as after
# CONN_MAX_AGE or an error, prepares them again).
_PREPARED: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()
_NOT_PREPARED = "26000"  # PostgreSQL's invalid_sql_statement_name


def _prepared(sql: str, params: list) -> tuple[str, list]:
    """`sql` run as a statement PostgreSQL prepared once on this connection: a statement of many joins costs
    PostgreSQL more to plan than to run (a build's NICs: 0.6 ms planning against 0.3 ms running, measured with
    pg_stat_statements), and a prepared one is planned for its first executions only (then its generic plan is
    kept). SQLite caches its statements itself."""
    if connection.vendor != "postgresql":
        return sql, params
    connection.ensure_connection()
    names = _PREPARED.setdefault(connection.connection, set())
    name = "cp_" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    if name not in names:
        numbers = itertools.count(1)
        body = re.sub(r"%s", lambda _: f"${next(numbers)}", sql).replace("%%", "%")
        with connection.cursor() as cur:
            cur.execute(f"PREPARE {name} AS {body}")
        names.add(name)
    return (f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"), params


def _run(sql: str, params: list, prepare: bool, result):
    for attempt in (1, 2):
        try:
            with connection.cursor() as cur:
                cur.execute(*(_prepared(sql, params) if prepare else (sql, params)))
                return result(cur)
        except DatabaseError as exc:
            # Not prepared on this connection after all: the statement's retry reconnected under it (db_retry.py,
            # outside a transaction only) or someone DEALLOCATEd. Prepared again, once.
            if (not prepare or attempt == 2 or getattr(exc.__cause__, "pgcode", None) != _NOT_PREPARED
                    or connection.in_atomic_block):
                raise
            _PREPARED.pop(connection.connection, None)


def rows(sql: str, params: list, *, prepare: bool = False) -> list[tuple]:
    """The rows of a read (`prepare`: as a prepared statement, for the hot ones)."""
    return _run(sql, params, prepare, lambda cur: cur.fetchall())


def execute(sql: str, params: list, *, prepare: bool = False) -> int:
    """Run a write; returns the number of rows it touched."""
    return _run(sql, params, prepare, lambda cur: cur.rowcount)
