"""SQL aggregates the network service reads with (PostgreSQL and SQLite alike)."""
from django.db.models import Aggregate, TextField


SQLITE_FUNCTION = "GROUP_CONCAT"  # STRING_AGG elsewhere


class Joined(Aggregate):
    """A group's text values in one comma-separated string (None for none), in no particular order: a row per
    group instead of a row (and a Python tuple) per value, for the addresses of a group's members or a
    subnet's allocations."""

    function, template, output_field = "STRING_AGG", "%(function)s(%(expressions)s, ',')", TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function=SQLITE_FUNCTION, **extra)


def joined_sql(expression: str, vendor: str) -> str:
    """Joined in hand-written SQL, for a database `vendor` (connection.vendor)."""
    return f"{SQLITE_FUNCTION if vendor == 'sqlite' else Joined.function}({expression}, ',')"


def joined_values(text: str | None) -> list[str]:
    """The values a Joined aggregate read (addresses hold no commas)."""
    return text.split(",") if text else []
