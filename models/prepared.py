"""Queries built once with Peewee and run many times: the few that every request runs.

Peewee turns a query into SQL in Python each time it runs it — about half a millisecond for a
three-table join on this project's machine, more than SQLite takes to answer. `prepared(key, build)`
builds the query once per database class with `Slot("name")` placeholders, keeps its SQL and the
order in which the slots land in the parameters, and afterwards only fills in the values:

    query = prepared("user-for-login", lambda: User.select().where(User.id == Slot("id")))
    row = query.one(id=5)            # raw tuple, or query.models(id=5) for Peewee's own model objects

Values are passed to the driver as they are (no field conversion): give ids as ints, dates as dates.
Every query still goes through `db.execute_sql`, so query counters and logging see it; on PostgreSQL
that is an EXECUTE of a statement PREPAREd once per connection (the PREPARE itself is not counted).
"""
from __future__ import annotations

import re

from peewee import ColumnBase

from . import db, is_postgres


class _Name:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class Slot(ColumnBase):
    """A named parameter filled in at execution time."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def __sql__(self, ctx):
        return ctx.value(_Name(self.name), converter=False)


class Prepared:
    __slots__ = ("query", "sql", "slots", "name", "execute_sql")

    def __init__(self, query, name: str):
        self.query = query
        self.sql, params = query.sql()
        # A slot's name, or a constant Peewee already converted (e.g. a literal status).
        self.slots = [(True, p.name) if isinstance(p, _Name) else (False, p) for p in params]
        self.name = name
        self.execute_sql = None
        if is_postgres():
            # PostgreSQL plans a statement every time it receives one (half a millisecond for the list's
            # page query); a server-side prepared statement is planned once per connection.
            self.execute_sql = f"EXECUTE {name} ({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"

    def params(self, values: dict) -> list:
        return [values[v] if is_slot else v for is_slot, v in self.slots]

    def cursor(self, **values):
        if self.execute_sql is None:
            return db.execute_sql(self.sql, self.params(values))
        connection = db.connection()
        key = (id(connection), connection.get_backend_pid())
        known = _prepared_on.get(key)
        if known is None:
            if len(_prepared_on) > 256:  # connections come and go; forget the oldest
                _prepared_on.pop(next(iter(_prepared_on)))
            known = _prepared_on[key] = set()
        if self.name not in known:
            numbered = iter(range(1, len(self.slots) + 1))
            text = _PARAM.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbered)}", self.sql)
            db.cursor().execute(f"PREPARE {self.name} AS {text}")  # once per connection: not a query of the page
            known.add(self.name)
        return db.execute_sql(self.execute_sql, self.params(values))

    def rows(self, **values) -> list:
        return self.cursor(**values).fetchall()

    def one(self, **values):
        return self.cursor(**values).fetchone()

    def models(self, **values):
        """Rows as Peewee would return them from the original query (model objects, joins attached)."""
        return self.query._get_cursor_wrapper(self.cursor(**values))


def load(model, values, start: int = 0):
    """A model object from a raw row, `values[start:]` in `model._meta.sorted_fields` order (the column
    order of `Model.select(Model)`), converted by the fields as Peewee itself would, nothing dirty."""
    obj = model(__no_default__=1)
    data = obj.__data__
    for index, field in enumerate(model._meta.sorted_fields, start):
        value = values[index]
        data[field.name] = value if value is None else field.python_value(value)
    return obj


def revive(model, data: dict):
    """A model object holding a copy of `data` (fields already converted, as `load` leaves them)."""
    obj = model(__no_default__=1)
    obj.__data__ = dict(data)
    return obj


_cache: dict = {}
_prepared_on: dict = {}  # (connection, backend) -> names of the statements PREPAREd there
_PARAM = re.compile(r"%%|%s")


def prepared(key, build) -> Prepared:
    """The Prepared query for `key` on the current database class, built by `build()` the first time."""
    cache_key = (key, type(db.obj))
    try:
        return _cache[cache_key]
    except KeyError:
        _cache[cache_key] = result = Prepared(build(), f"settle_q{len(_cache) + 1}")
        return result
