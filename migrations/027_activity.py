"""The activity log (models/activity.py): one row per act of a company's users, written in the act's own
transaction. Append-only: the database refuses to change or delete a row."""
import peewee as pw

from migrations import engine


def migrate(migrator, database, *, fake=False):
    Customer = migrator.orm["customer"]
    User = migrator.orm["user"]

    @migrator.create_model
    class Activity(pw.Model):
        id = pw.AutoField()
        customer = pw.ForeignKeyField(Customer, column_name="customer_id", on_delete="RESTRICT", index=False)
        user = pw.ForeignKeyField(User, column_name="user_id", null=True, on_delete="RESTRICT")
        email = pw.CharField(max_length=254)
        kind = pw.CharField(max_length=30)
        details = pw.TextField(default="{}")
        at = pw.DateTimeField()

        class Meta:
            table_name = "activity"
            indexes = ((("customer", "id"), False), (("customer", "kind", "id"), False))

    if engine(database) == "sqlite":
        for event in ("UPDATE", "DELETE"):
            migrator.sql(f"CREATE TRIGGER activity_append_only_{event.lower()} BEFORE {event} ON activity "
                         "BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END")
    else:
        migrator.sql("CREATE FUNCTION activity_append_only() RETURNS trigger AS $$ BEGIN "
                     "RAISE EXCEPTION 'the activity log is append-only'; END $$ LANGUAGE plpgsql")
        migrator.sql("CREATE TRIGGER activity_append_only BEFORE UPDATE OR DELETE ON activity "
                     "FOR EACH ROW EXECUTE FUNCTION activity_append_only()")


def rollback(migrator, database, *, fake=False):
    if engine(database) == "sqlite":
        migrator.sql("DROP TRIGGER IF EXISTS activity_append_only_update")
        migrator.sql("DROP TRIGGER IF EXISTS activity_append_only_delete")
    else:
        migrator.sql("DROP TRIGGER IF EXISTS activity_append_only ON activity")
        migrator.sql("DROP FUNCTION IF EXISTS activity_append_only()")
    migrator.remove_model("activity")
