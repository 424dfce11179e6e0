"""Forgotten passwords: a reset asked for by email. Its single-use link's token is made when the email is
composed and only its SHA-256 digest is stored; the link is valid until `expires_at` and used once."""
import peewee as pw


def migrate(migrator, database, *, fake=False):
    User = migrator.orm["user"]

    @migrator.create_model
    class PasswordReset(pw.Model):
        id = pw.AutoField()
        user = pw.ForeignKeyField(User, column_name="user_id", on_delete="CASCADE", index=True)
        digest = pw.CharField(max_length=64, null=True, unique=True)
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField()
        used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "password_reset"


def rollback(migrator, database, *, fake=False):
    migrator.remove_model("password_reset")
