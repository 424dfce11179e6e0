"""Queries built once with Peewee and run again with other values: the few that every list request runs.

Peewee turns a query into SQL in Python every time it runs it; for the invoice list's page query (one index arm
per account, merged) that costs several milliseconds, far more than the database takes to answer it. A
`Statement` is built once per shape and database: its placeholders are `param("name")` — Peewee's public
`Value(…, converter=False)`, which puts the placeholder object itself into the parameters `Query.sql()` returns —
so running it again only fills the values in, in order, and calls `Database.execute_sql`.

    rows = statement(("unpaid", 2), lambda: Invoice.select(Invoice.id).where(
        Invoice.invoice_account.in_([param("a0"), param("a1")]), Invoice.status == param("status"))
    ).rows(a0=1, a1=2, status="unpaid")

Values are passed as the database takes them (ids as ints, money as cents, dates as dates); rows come back raw,
or converted by the fields given as `fields` (their `python_value`). tests/test_statements.py proves a
statement returns what the same query built afresh returns, on SQLite and PostgreSQL, and pins the one Peewee
behaviour it relies on.
"""
from __future__ import annotations

from peewee import Value

from . import db, is_postgres


class Placeholder:
    """Where a named value goes."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"<param {self.name}>"


def param(name: str) -> Value:
    return Value(Placeholder(name), converter=False)


class Statement:
    __slots__ = ("sql", "slots", "converters")

    def __init__(self, query, fields=None):
        self.sql, params = query.sql()
        # Each parameter: a placeholder's name, or a constant Peewee already put in (a literal status, say).
        self.slots = [(True, p.name) if isinstance(p, Placeholder) else (False, p) for p in params]
        # A field per column converts it (`python_value`); None leaves that column as the driver returns it.
        # Only the columns that have one are touched (the others cost nothing per row).
        self.converters = [(i, field.python_value) for i, field in enumerate(fields) if field is not None] \
            if fields else None

    def cursor(self, values: dict):
        return db.execute_sql(self.sql, [values[v] if named else v for named, v in self.slots])

    def rows(self, **values) -> list[tuple]:
        rows = self.cursor(values).fetchall()
        if self.converters is None:
            return rows
        converters = self.converters
        converted = []
        for row in rows:
            row = list(row)
            for i, convert in converters:
                value = row[i]
                if value is not None:
                    row[i] = convert(value)
            converted.append(tuple(row))
        return converted

    def one(self, **values):
        rows = self.rows(**values)
        return rows[0] if rows else None

    def run(self, **values) -> int:
        """Run a write; returns the rows it changed."""
        return self.cursor(values).rowcount

    def insert(self, **values) -> int:
        """Run an INSERT; returns the new row's id (PostgreSQL: from RETURNING, which Peewee adds)."""
        cursor = self.cursor(values)
        return cursor.fetchone()[0] if is_postgres() else cursor.lastrowid


def instance(model, row, start: int = 0):
    """A model object from a row (converted), its fields from `start` in `model._meta.sorted_fields` order."""
    fields = model._meta.sorted_fields
    return model(**{field.name: value for field, value in zip(fields, row[start:start + len(fields)])})


_built: dict = {}


def statement(key, build, fields=None) -> Statement:
    """The Statement for `key` on the current kind of database, built by `build()` the first time."""
    cache_key = (key, type(db.obj))
    found = _built.get(cache_key)
    if found is None:
        found = _built[cache_key] = Statement(build(), fields)
    return found
