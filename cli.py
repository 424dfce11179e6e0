"""Back-office commands: `flask --app app <command>`.

Only `init-db` changes the schema (it applies the pending migrations in migrations/); every other command
expects it to have run.
"""
import shutil
import sys
import tempfile

import click
from flask import Flask

from models import db


def _seekable(file):
    """The import file opened for reading bytes; standard input ("-") is spooled to a temporary file first, as
    the importer reads the file more than once (models/importer.py: StreamSource)."""
    if file != "-":
        return open(file, "rb")
    spool = tempfile.TemporaryFile()
    shutil.copyfileobj(sys.stdin.buffer, spool)
    spool.seek(0)
    return spool


def register_commands(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the tables: apply every pending migration (safe to run twice)."""
        import migrations

        with db.connection_context():
            done = migrations.migrate(db)
        click.echo(f"Database ready ({len(done)} migration{'' if len(done) == 1 else 's'} applied).")

    @app.cli.command("import-data")
    @click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
    def import_data_command(file):
        """Load customers, users, products and invoices from a JSON FILE (all or nothing)."""
        from models.importer import ImportProblem, NotJSON, import_file

        try:
            handle = _seekable(file)
        except FileNotFoundError:
            click.echo(f"Import refused: {file} does not exist.", err=True)
            sys.exit(2)
        with handle, db.connection_context():
            try:
                summary = import_file(handle)  # read as a stream: memory stays flat for any size
            except NotJSON as error:
                click.echo(f"Import refused: {file} is not valid JSON ({error}). Nothing was imported.", err=True)
                sys.exit(1)
            except ImportProblem as problem:
                click.echo(f"Import refused: {problem}. Nothing was imported.", err=True)
                sys.exit(1)
        click.echo(f"Imported {summary}.")

    @app.cli.command("create-api-token")
    @click.argument("name")
    @click.option("--scope", type=click.Choice(["read", "write"]), default="write", show_default=True,
                  help="read: GET calls only; write: also import and record payments.")
    def create_api_token(name, scope):
        """Make an API token called NAME and print it (once: only its hash is kept)."""
        from models.api import TokenProblem, create_token

        with db.connection_context():
            try:
                token = create_token(name, scope)
            except TokenProblem as problem:
                click.echo(f"No token made: {problem}.", err=True)
                sys.exit(1)
        click.echo(f"API token {name!r} ({scope}); it is shown only now, keep it safe:")
        click.echo(token)

    @app.cli.command("revoke-api-token")
    @click.argument("name")
    def revoke_api_token(name):
        """Revoke the API token called NAME: calls with it answer 401 from now on."""
        from models.api import revoke_token

        with db.connection_context():
            if not revoke_token(name):
                click.echo(f"No live token called {name!r}.", err=True)
                sys.exit(1)
        click.echo(f"API token {name!r} revoked.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only load the demo data when there are no customers yet.")
    def seed_demo(if_empty):
        """Load the demo data set and print the demo sign-ins."""
        from models.customer import Customer
        from models.demo import DEMO_PASSWORD, demo_payload, demo_users
        from models.importer import import_data

        with db.connection_context():
            if if_empty and Customer.select().exists():
                click.echo("Demo data already present.")
            else:
                summary = import_data(demo_payload())
                click.echo(f"Demo data loaded: {summary}.")
        click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for email, who in demo_users():
            click.echo(f"  {email:<28} {who}")

    @app.cli.command("invoice-orders")
    def invoice_orders():
        """Turn every open sales order into an invoice (invoice date today, terms of the invoice account)."""
        from models.order import invoice_open_orders

        with db.connection_context():
            done = invoice_open_orders()
            for item in done:
                order, invoice = item.order, item.invoice
                click.echo(f"  {order.number} -> {invoice.number}: billed to {invoice.invoice_account.account}, "
                           f"ordered by {invoice.order_account.account}, {invoice.currency} {invoice.total:,.2f}, "
                           f"due {invoice.due_date.isoformat()}")
        click.echo(f"Invoiced {len(done)} open order{'' if len(done) == 1 else 's'}." if done
                   else "No open orders to invoice.")

    @app.cli.command("process-requests")
    def process_requests():
        """Send the emails of pending B2B requests (invoice copies) and update their status."""
        from services.request_job import process_pending_requests

        with db.connection_context():
            result = process_pending_requests()
        click.echo(str(result))

    # Deliveries whose outcome is unknown (models/delivery.py): listed, and resent only when an operator says so.
    @app.cli.command("deliveries-unknown")
    def deliveries_unknown():
        """List the emails handed to the mail server whose delivery is unknown (the connection was lost before
        the server confirmed them). The job never sends them again; check the mail server's log, then `resend`."""
        from models.outbox import OutboxEmail
        from models.request import B2BRequest

        with db.connection_context():
            requests, emails = B2BRequest.unknown(), OutboxEmail.unknown()
            for item in requests:
                what = f"invoice {item.invoice.number}" if item.invoice_id else f"statement as of {item.as_of}"
                click.echo(f"  request {item.id}: {what} to {item.email}, handed over {item.completed_at:%Y-%m-%d %H:%M}"
                           f" UTC ({item.last_error})")
            for item in emails:
                click.echo(f"  email {item.id}: {item.kind} to {item.to}, handed over {item.completed_at:%Y-%m-%d %H:%M}"
                           f" UTC ({item.last_error})")
        count = len(requests) + len(emails)
        click.echo(f"{count} deliver{'y' if count == 1 else 'ies'} unknown." if count else "No delivery is unknown.")

    @app.cli.command("resend")
    @click.argument("queue", type=click.Choice(["request", "email"]))
    @click.argument("item_id", type=int)
    def resend(queue, item_id):
        """Send again a B2B request or queued email whose delivery is unknown (a deliberate decision: the
        recipient may get it twice). The next `process-requests` run sends it."""
        from models import clock
        from models.outbox import OutboxEmail
        from models.request import B2BRequest

        model = B2BRequest if queue == "request" else OutboxEmail
        with db.connection_context():
            done = model.resend(item_id, clock.utcnow())
        if not done:
            click.echo(f"No {queue} {item_id} whose delivery is unknown; nothing changed.", err=True)
            sys.exit(1)
        click.echo(f"The {queue} {item_id} is pending again; the next process-requests run sends it.")
