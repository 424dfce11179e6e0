"""B2B requests of type Statement: no invoice, but the date the statement is made as of."""
import peewee as pw


def migrate(migrator, database, *, fake=False):
    migrator.drop_not_null("b2b_request", "invoice")
    migrator.add_fields("b2b_request", as_of=pw.DateField(null=True))


def rollback(migrator, database, *, fake=False):
    migrator.sql("DELETE FROM b2b_request WHERE invoice_id IS NULL")
    migrator.remove_fields("b2b_request", "as_of")
    migrator.add_not_null("b2b_request", "invoice")
