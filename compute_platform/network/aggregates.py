"""SQL aggregates the network service reads with (PostgreSQL and SQLite alike)."""
from django.db.models import Aggregate, TextField


class Joined(Aggregate):
    """A group's text values in one comma-separated string (None for none), in no particular order: a row per
    group instead of a row (and a Python tuple) per value, for the addresses of a group's members or a
    subnet's allocations. (In hand-written SQL: compute_platform/sql.py: string_agg.)"""

    function, template, output_field = "STRING_AGG", "%(function)s(%(expressions)s, ',')", TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="GROUP_CONCAT", **extra)


def joined_values(text: str | None) -> list[str]:
    """The values a Joined aggregate read (addresses hold no commas)."""
    return text.split(",") if text else []
