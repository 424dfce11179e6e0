"""Queued emails other than B2B requests (models/outbox.py), sent by the same job with the same rules."""
import peewee as pw


def migrate(migrator, database, *, fake=False):
    User = migrator.orm["user"]

    @migrator.create_model
    class OutboxEmail(pw.Model):
        id = pw.AutoField()
        status = pw.CharField(max_length=10, default="pending")
        attempts = pw.IntegerField(default=0)
        error_kind = pw.CharField(max_length=20, null=True)
        last_error = pw.TextField(null=True)
        next_attempt_at = pw.DateTimeField()
        completed_at = pw.DateTimeField(null=True)
        claim_token = pw.CharField(max_length=32, null=True)
        claimed_until = pw.DateTimeField(null=True)
        kind = pw.CharField(max_length=30)
        to = pw.CharField(max_length=254)
        locale = pw.CharField(max_length=10, default="en")
        user = pw.ForeignKeyField(User, column_name="user_id", null=True, on_delete="CASCADE")
        payload = pw.TextField(default="{}")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "outbox_email"
            indexes = ((("status", "next_attempt_at"), False),)


def rollback(migrator, database, *, fake=False):
    migrator.remove_model("outbox_email")
