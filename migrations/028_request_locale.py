"""The language of the page a B2B request was made from: its email is written in it."""
import peewee as pw


def migrate(migrator, database, *, fake=False):
    migrator.add_fields("b2b_request", locale=pw.CharField(max_length=10, null=True))


def rollback(migrator, database, *, fake=False):
    migrator.remove_fields("b2b_request", "locale")
