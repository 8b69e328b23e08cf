"""What a server row has of another table (its tags, its volumes), read inside the row's own query.

A list of 10,000 servers then makes no second round trip per kind and sends no IN list of 10,000 ids
(Django prepares each of them in Python: a third of the 10,000-server list's time went there).
"""
from django.db.models import Exists, Expression, Subquery, TextField


class RowsJson(Expression):
    """The rows of a correlated subquery (`queryset.values(j=..., o=...)`, filtered on an OuterRef) as one JSON
    array text of their `j`, ordered by `o`; NULL when there are none, so a row without any costs no parse.

    The aggregate sits behind an EXISTS: most servers have no tags or volumes, and an aggregate subplan per
    row cost PostgreSQL ~10 us a row (100 ms on 10,000) where an EXISTS probe (or its hashed form) costs next to
    nothing. `objects`: `j` is a JSONObject (SQLite hands a subquery's JSON back as text, re-read with json())."""

    output_field = TextField()

    def __init__(self, queryset, *, objects: bool = False):
        super().__init__()
        self.exists, self.rows = Exists(queryset), Subquery(queryset.order_by("o"))
        self.objects = objects

    def get_source_expressions(self):
        return [self.exists, self.rows]

    def set_source_expressions(self, exprs):
        self.exists, self.rows = exprs

    def _sql(self, compiler, aggregate: str):
        (exists, p1), (rows, p2) = compiler.compile(self.exists), compiler.compile(self.rows)
        return f"CASE WHEN {exists} THEN (SELECT {aggregate} FROM {rows} _r) END", (*p1, *p2)

    def as_sql(self, compiler, connection):  # PostgreSQL
        return self._sql(compiler, "json_agg(_r.j ORDER BY _r.o)::text")

    def as_sqlite(self, compiler, connection):  # `make run`; SQLite keeps the subquery's ORDER BY
        return self._sql(compiler, "json_group_array(json(_r.j))" if self.objects else "json_group_array(_r.j)")
