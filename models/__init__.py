"""Database handle, base model, transactions that take the write lock, and the list of every table.

`db` is a proxy so the app factory (and tests) choose the database at start-up
from `DATABASE_URL`; models never know which engine they run on.
"""
import os

from peewee import DatabaseProxy, Model, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect

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
# whole list query (SQLite: a file open and five pragmas; PostgreSQL: a new server process).
POOL = {"max_connections": 64, "stale_timeout": 600}
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 10000,
    "cache_size": -64000,
}


def open_database(url: str):
    """The (pooled) Database for a `playhouse.db_url` URL, with the pragmas the portal relies on.

    SQLite: WAL, foreign keys, a busy timeout; Peewee's default BEGIN is DEFERRED, and money writes ask for
    IMMEDIATE explicitly (`write_transaction`)."""
    url = _pooled(url)
    pool = POOL if "+pool://" in url else {}
    if url.startswith("sqlite"):
        # A pooled connection serves one thread at a time, not always the same one.
        return connect(url, **pool, check_same_thread=False, pragmas=SQLITE_PRAGMAS)
    return connect(url, **pool)


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
from .invoice import Invoice, InvoiceLine, Payment  # noqa: E402
from .summary import InvoiceSummary  # noqa: E402
from .aging import InvoiceAging  # noqa: E402
from .product import Product  # noqa: E402
from .order import SalesOrder, SalesOrderLine  # noqa: E402
from .credit_note import CreditNote, CreditNoteLine  # noqa: E402
from .cart import Cart, CartCredit, CartLine  # noqa: E402
from .checkout import Checkout, CheckoutCredit, CheckoutLine  # noqa: E402
from .request import B2BRequest  # noqa: E402
from .outbox import OutboxEmail  # noqa: E402
from .activity import Activity  # noqa: E402
from .invitation import Invitation  # noqa: E402
from .lease import JobLease  # noqa: E402
from .api import ApiToken, FeedItem  # noqa: E402

# Every table, in an order that creates (and empties) them safely. The schema itself is made by the
# migrations in migrations/ (`flask --app app init-db`), never at run time.
ALL_MODELS = [Customer, User, Invoice, InvoiceLine, InvoiceSummary, InvoiceAging, Payment, Product, SalesOrder,
              SalesOrderLine, Cart, CartLine, Checkout, CheckoutLine, B2BRequest, OutboxEmail, CreditNote, CreditNoteLine,
              CartCredit, CheckoutCredit, Activity, Invitation, JobLease, ApiToken, FeedItem]
