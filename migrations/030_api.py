"""The back office API (views/api.py, models/api.py): its tokens (stored as SHA-256 hashes), the feed that hands
payments, orders and requests to the ERP in the order they were committed (sql/api_feed.<database>.sql: a trigger
gives each new payment, order and request the next feed position as its transaction commits), and a payment
received outside the portal recorded once per reference (a unique index on a bank transfer's reference)."""
import peewee as pw

from migrations import engine, run_sql_file


def migrate(migrator, database, *, fake=False):
    @migrator.create_model
    class ApiToken(pw.Model):
        id = pw.AutoField()
        name = pw.CharField(max_length=100, unique=True)
        token_hash = pw.CharField(max_length=64, unique=True)
        scope = pw.CharField(max_length=10)
        created_at = pw.DateTimeField()
        revoked_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "api_token"

    @migrator.create_model
    class FeedItem(pw.Model):
        position = pw.BigIntegerField(primary_key=True)
        kind = pw.CharField(max_length=20)
        item_id = pw.IntegerField()

        class Meta:
            table_name = "feed_item"
            indexes = ((("kind", "item_id"), True), (("kind", "position"), False))

    @migrator.create_model
    class FeedCounter(pw.Model):
        id = pw.IntegerField(primary_key=True)
        position = pw.BigIntegerField()

        class Meta:
            table_name = "feed_counter"

    # What is there already enters the feed in the order it was recorded.
    migrator.sql(
        "INSERT INTO feed_item (position, kind, item_id) "
        "SELECT ROW_NUMBER() OVER (ORDER BY at, kind, item_id), kind, item_id FROM ("
        "  SELECT 'payment' AS kind, id AS item_id, created_at AS at FROM payment WHERE method <> 'imported'"
        "  UNION ALL SELECT 'order', id, created_at FROM sales_order"
        "  UNION ALL SELECT 'request', id, requested_at FROM b2b_request) AS recorded")
    migrator.sql("INSERT INTO feed_counter (id, position) SELECT 1, COALESCE(MAX(position), 0) FROM feed_item")
    run_sql_file(migrator, database, "api_feed")
    migrator.sql("CREATE UNIQUE INDEX payment_transfer_reference ON payment (gateway_reference) "
                 "WHERE method = 'transfer'")


def rollback(migrator, database, *, fake=False):
    migrator.sql("DROP INDEX IF EXISTS payment_transfer_reference")
    for table in ("payment", "sales_order", "b2b_request"):
        migrator.sql(f"DROP TRIGGER IF EXISTS feed_{table}"
                     + (f" ON {table}" if engine(database) == "postgresql" else ""))
    if engine(database) == "postgresql":
        migrator.sql("DROP FUNCTION IF EXISTS feed_record()")
    for table in ("feed_counter", "feed_item", "api_token"):
        migrator.remove_model(table)
