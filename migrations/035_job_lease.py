"""Job leases (models/lease.py): who runs a periodic job now, and until when — a lock that expires, so a worker
killed while holding it never stops the job."""
import peewee as pw


def migrate(migrator, database, *, fake=False):
    @migrator.create_model
    class JobLease(pw.Model):
        name = pw.CharField(max_length=60, primary_key=True)
        holder = pw.CharField(max_length=64)
        expires_at = pw.DateTimeField()

        class Meta:
            table_name = "job_lease"


def rollback(migrator, database, *, fake=False):
    migrator.remove_model("job_lease")
