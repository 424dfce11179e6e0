"""Company roles (models/roles.py) and deactivation, stored with the user.

`roles`: the user's roles as a sorted comma-separated list of admin, payer, buyer, viewer (never empty); users from
before keep what everyone could do then: admin, payer and buyer. `active`: a deactivated user cannot sign in and
is signed out on their next request.
"""
import peewee as pw


def migrate(migrator, database, *, fake=False):
    migrator.add_fields("user", roles=pw.CharField(max_length=40, default="admin,buyer,payer"),
                        active=pw.BooleanField(default=True))


def rollback(migrator, database, *, fake=False):
    migrator.remove_fields("user", "roles", "active")
