"""Django's PostgreSQL backend, whose connect waits out a database outage in worker processes.

db_retry's statement retry is an execute wrapper: it sees a statement fail on a connection that died, not a
connect that fails. A task that starts while PostgreSQL restarts opens a new connection (the one before was
closed as unusable) before any execute wrapper runs, so its first statement, the gate of a build, failed at
once and left the instance in its task_state until the stale sweep (a drill caught this). Here the connect
itself rides out the outage, for the same time and with the same policy (db_retry.outage_retrying); in the API
(ride-out off) it fails at once, and the request answers 503."""
from django.db.backends.postgresql import base

from compute_platform import db_retry


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connect = super().get_new_connection
        return db_retry.connect_riding_out(lambda: connect(conn_params),
                                           retry_on=(self.Database.OperationalError,))
