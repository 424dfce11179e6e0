"""Invitations (models/invitation.py): an Admin invites someone by email into their company with chosen roles.

Only a digest of the link's token is kept (`token_digest`), set when the job writes the email (the token itself is
never stored, not even in the outbox); `sends` counts the emails, so one superseded by a resend is not sent.
"""
import peewee as pw


def migrate(migrator, database, *, fake=False):
    Customer = migrator.orm["customer"]
    User = migrator.orm["user"]

    @migrator.create_model
    class Invitation(pw.Model):
        id = pw.AutoField()
        customer = pw.ForeignKeyField(Customer, column_name="customer_id", on_delete="CASCADE")
        invited_by = pw.ForeignKeyField(User, column_name="invited_by_id", null=True, on_delete="SET NULL")
        email = pw.CharField(max_length=254)
        name = pw.CharField(max_length=200)
        roles = pw.CharField(max_length=40)
        locale = pw.CharField(max_length=10, default="en")
        token_digest = pw.CharField(max_length=64, null=True, unique=True)
        sends = pw.IntegerField(default=1)
        status = pw.CharField(max_length=10, default="pending")
        created_at = pw.DateTimeField()
        sent_at = pw.DateTimeField()
        expires_at = pw.DateTimeField()
        finished_at = pw.DateTimeField(null=True)
        user = pw.ForeignKeyField(User, column_name="user_id", null=True, on_delete="SET NULL")

        class Meta:
            table_name = "invitation"
            indexes = ((("customer", "status"), False), (("email", "status"), False))


def rollback(migrator, database, *, fake=False):
    migrator.remove_model("invitation")
