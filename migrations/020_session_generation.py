"""Sessions that really end: a generation per user (every session and remember cookie carries the generation it
was made in; Sign out everywhere, a password change or reset moves it on, which ends them all) and the sessions
signed out one by one (Sign out ends that browser's session and remember cookie, kept until it would have
expired anyway)."""
import peewee as pw


def migrate(migrator, database, *, fake=False):
    migrator.add_fields("user", session_generation=pw.IntegerField(default=0))
    User = migrator.orm["user"]

    @migrator.create_model
    class EndedSession(pw.Model):
        nonce = pw.CharField(max_length=32, primary_key=True)
        user = pw.ForeignKeyField(User, column_name="user_id", on_delete="CASCADE")
        until = pw.DateTimeField(index=True)

        class Meta:
            table_name = "ended_session"


def rollback(migrator, database, *, fake=False):
    migrator.remove_model("ended_session")
    migrator.remove_fields("user", "session_generation")
