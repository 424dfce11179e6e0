"""Database handle, base model and the list of every table.

`db` is a proxy so the app factory (and tests) choose the database at start-up
from `DATABASE_URL`; models never know which engine they run on.
"""
import os
import time

from peewee import DatabaseProxy, Model, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect, parse
from playhouse.pool import PooledPostgresqlDatabase
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

db = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


def _pooled(url: str) -> str:
    """The same URL through Peewee's connection pool ("sqlite+pool://", "postgresql+pool://")."""
    scheme, sep, rest = url.partition("://")
    if os.environ.get("SETTLE_DB_POOL", "1") == "0":
        return url
    return url if "+" in scheme or scheme not in ("sqlite", "postgres", "postgresql") else f"{scheme}+pool{sep}{rest}"


# Requests check a connection out of a pool and back in at teardown: opening one costs more than a
# whole list query (SQLite: a file open and five pragmas, ~0.6 ms; PostgreSQL: a new server process).
POOL = {"max_connections": 64, "stale_timeout": 600}


def open_database(url: str):
    """Create the (pooled) Database for a `playhouse.db_url` URL with the pragmas we rely on."""
    url = _pooled(url)
    pool = POOL if "+pool://" in url else {}
    if url.startswith("sqlite"):
        database = connect(
            url,
            **pool,
            check_same_thread=False,  # a pooled connection serves one thread at a time, not always the same one
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "synchronous": "normal",
                "busy_timeout": 10000,
                "cache_size": -64000,
            },
        )
        # Peewee's default BEGIN is DEFERRED; money writes ask for IMMEDIATE explicitly.
    elif pool:
        # Peewee's pool asks PostgreSQL "SELECT 1" at every check-out, a round trip per request; this one
        # skips it for a connection that was in use moments ago (as HikariCP does), and asks otherwise.
        database = RecentlyUsedPostgresPool(**parse(url), **pool)
    else:
        database = connect(url)
    return database


class RecentlyUsedPostgresPool(PooledPostgresqlDatabase):
    TRUST_SECONDS = 1.0

    def __init__(self, *args, **kwargs):
        self._returned_at: dict = {}
        super().__init__(*args, **kwargs)

    def _close(self, conn, close_conn=False):
        super()._close(conn, close_conn)
        if close_conn or conn.closed:
            self._returned_at.pop(id(conn), None)
        else:
            self._returned_at[id(conn)] = time.monotonic()

    def _is_closed(self, conn):
        returned = self._returned_at.get(id(conn))
        if (returned is not None and not conn.closed and time.monotonic() - returned < self.TRUST_SECONDS
                and conn.get_transaction_status() == TRANSACTION_STATUS_IDLE):
            return False
        return super()._is_closed(conn)


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


def write_transaction():
    """A transaction that takes the write lock at once.

    SQLite: BEGIN IMMEDIATE, so two writers never both read a balance and then
    both spend it. PostgreSQL: a normal transaction; callers lock rows with
    `lock_rows()` (SELECT ... FOR UPDATE).
    """
    if is_sqlite() and db.transaction_depth() == 0:
        return db.atomic("IMMEDIATE")
    return db.atomic()


def lock_rows(query):
    """Row-lock the rows of `query` on PostgreSQL; SQLite is already locked by BEGIN IMMEDIATE."""
    return query.for_update() if is_postgres() else query


from .customer import Customer, User  # noqa: E402
from .invoice import Invoice, InvoiceLine, InvoiceSummary, Payment  # noqa: E402
from .product import Product  # noqa: E402
from .order import SalesOrder, SalesOrderLine  # noqa: E402
from .cart import Cart, CartLine  # noqa: E402
from .checkout import Checkout, CheckoutLine  # noqa: E402
from .request import B2BRequest  # noqa: E402

ALL_MODELS = [Customer, User, Invoice, InvoiceLine, InvoiceSummary, Payment, Product, SalesOrder, SalesOrderLine, Cart, CartLine, Checkout, CheckoutLine, B2BRequest]


def create_tables():
    db.create_tables(ALL_MODELS, safe=True)
