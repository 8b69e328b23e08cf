"""Workers ride out a database restart instead of dropping the work they are in the middle of.

A task that loses its database half-way (after its gate moved the task_state, before it recorded the
outcome) would leave the instance stuck in that task_state until the host's next restart. So in worker
processes (and only there: the API answers 503 at once, see api/common/errors.py), for up to
DB_OUTAGE_RETRY_SECONDS:
- a statement run outside a transaction (autocommit: gates, loads, single updates) that fails because the
  connection is gone is run again on a new connection, once the database answers (an execute wrapper on
  every connection);
- a service that runs a transaction is retried whole, when it is the outermost one (`@db_retry`);
- a new connection waits for the database (`connect_riding_out`, through compute_platform/pg_backend), as a
  task that starts during the outage opens one before any statement runs.
Both are safe because the statements and services that tasks run are conditional updates and idempotent
records: run twice, the second finds the work done. tenacity does the waiting and backoff.
"""
from __future__ import annotations

import functools
import logging

import tenacity
from django.db import InterfaceError, OperationalError, connection, connections
from django.db.backends.signals import connection_created

logger = logging.getLogger(__name__)

DB_DOWN = (OperationalError, InterfaceError)
_ride_out_seconds = 0.0  # 0 (the default, and the API's): fail at once


def db_ride_out_enable(*, seconds: float) -> None:
    """Called once at worker start-up: from now on this process waits for its database up to `seconds`."""
    global _ride_out_seconds
    _ride_out_seconds = seconds
    connection_created.connect(_install_statement_retry, weak=False, dispatch_uid="db_retry")
    for conn in connections.all(initialized_only=True):  # made before this call: no signal for them
        _install_statement_retry(None, conn)


def outage_retrying(*, retry_on: tuple[type[BaseException], ...] = DB_DOWN,
                    what: str = "database") -> tenacity.Retrying:
    """The one waiting policy for an outage in a worker: retry on `retry_on` with backoff for up to the
    ride-out time (DB_OUTAGE_RETRY_SECONDS once enabled)."""
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(retry_on), stop=tenacity.stop_after_delay(_ride_out_seconds),
        wait=tenacity.wait_exponential(multiplier=0.1, max=2.0), reraise=True,
        before_sleep=lambda state: logger.warning("%s unreachable (%s): retrying, attempt %d", what,
                                                  state.outcome.exception(), state.attempt_number))


def _close_quietly(conn) -> None:
    try:
        conn.close()
    except DB_DOWN:
        conn.connection = None  # the socket is already gone; the next use connects anew


def connect_riding_out(connect, *, retry_on: tuple[type[BaseException], ...]):
    """`connect()`, retried while the database is unreachable (ride-out enabled), else once. The PostgreSQL
    backend (pg_backend) opens every connection through it, so a task that starts during an outage waits too."""
    if not _ride_out_seconds:
        return connect()
    for attempt in outage_retrying(retry_on=retry_on):
        with attempt:
            return connect()


def _reconnect(conn) -> None:
    _close_quietly(conn)
    conn.ensure_connection()  # waits for the database (connect_riding_out)


def _statement_retry(execute, sql, params, many, context):
    conn = context["connection"]
    try:
        return execute(sql, params, many, context)
    except DB_DOWN as exc:
        # Inside a transaction the statements before this one are lost too: the transaction is retried whole
        # by its service's @db_retry, not here.
        if not _ride_out_seconds or conn.in_atomic_block:
            raise
        logger.warning("database connection lost running a statement (%s): reconnecting", exc)
    _reconnect(conn)
    context["cursor"].cursor = conn.create_cursor()  # the caller reads its results from this wrapper
    return execute(sql, params, many, context)


def _install_statement_retry(sender, connection, **kwargs) -> None:
    if _statement_retry not in connection.execute_wrappers:
        connection.execute_wrappers.append(_statement_retry)


def db_retry(fn):
    """Retry a service that runs its own transaction, whole, while the database is unreachable (workers only;
    a call nested in an outer transaction is left to the outer one's retry)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not _ride_out_seconds or connection.in_atomic_block:
            return fn(*args, **kwargs)
        for attempt in outage_retrying():
            with attempt:
                try:
                    return fn(*args, **kwargs)
                except DB_DOWN:
                    _close_quietly(connection)
                    raise
    return wrapper
