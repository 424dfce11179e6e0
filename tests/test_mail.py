"""The job against a REAL SMTP server (aiosmtpd on a loopback port), on SQLite and PostgreSQL.

One message per request to the requester's address, the invoice number in subject and body,
plain-text and HTML parts and the invoice PDF attached (parsed back); a second run sends
nothing; the server down and then up; a permanent refusal; two job runs at the same moment.
"""
from __future__ import annotations

import asyncio
import re
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from io import BytesIO

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port
from tests.world import USERS


class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses the recipients we name."""

    def __init__(self, refuse=(), delay=0.0):
        self.messages, self.refuse, self.delay = [], set(refuse), delay
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 <%s>: Recipient address rejected: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)  # keeps parallel job runs overlapping
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


class SMTPServer:
    """aiosmtpd on the loopback port the app is configured to send to."""

    def __init__(self, handler, port):
        self.handler = handler
        self.port = port
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


@pytest.fixture
def mail_app(app, world):
    """The app with the world loaded and MAIL_SERVER pointing at a loopback port (nothing listens yet)."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_DEFAULT_SENDER="invoices@settle.test")
    return app


def request_copy(app, who, number):
    from models import db
    from models.customer import User
    from models.request import B2BRequest

    with app.app_context(), db.connection_context():
        user = User.get(User.email == USERS[who][0])
        return B2BRequest.request_invoice_copy(user, number)[0].id


def run_job(app, **kwargs):
    from models import db
    from services.request_job import process_pending_requests

    with app.app_context(), db.connection_context():
        return process_pending_requests(**kwargs)


def load(app, request_id):
    from models import db
    from models.request import B2BRequest

    with app.app_context(), db.connection_context():
        return B2BRequest.get_by_id(request_id)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages).replace("\u00a0", " ")


def test_one_message_per_request_with_details_and_the_pdf(mail_app):
    app = mail_app
    asked = {request_copy(app, "kari", "D-004"): ("kari", "D-004"),
             request_copy(app, "sara", "R2-001"): ("sara", "R2-001"),
             request_copy(app, "anna", "I-001"): ("anna", "I-001")}
    with SMTPServer(Inbox(), app.config["MAIL_PORT"]) as server:
        result = run_job(app)
        assert (result.sent, result.failed, result.pending) == (3, 0, 0)
        received = server.handler.messages
        assert len(received) == 3
        by_number = {}
        for recipients, message in received:
            number = message["Subject"].split()[1]
            by_number[number] = (recipients, message)
        assert set(by_number) == {"D-004", "R2-001", "I-001"}
        for request_id, (who, number) in asked.items():
            recipients, message = by_number[number]
            assert recipients == [USERS[who][0]] and message["To"] == USERS[who][0]
            assert message["From"] == "Settle Supply AS <invoices@settle.test>"  # the seller by name
            assert number in message["Subject"]
            plain = message.get_body(("plain",)).get_content()
            html = message.get_body(("html",)).get_content()
            assert number in plain and number in html
            [attachment] = list(message.iter_attachments())
            assert attachment.get_content_type() == "application/pdf"
            assert attachment.get_filename() == f"{number}.pdf"
            pdf = attachment.get_content()
            assert pdf.startswith(b"%PDF-")
            text = pdf_text(pdf)
            assert number in text
            done = load(app, request_id)
            assert done.status == "completed" and done.completed_at is not None
        # The details: D-004 is 1,250.00 with 250.00 paid before.
        plain = by_number["D-004"][1].get_body(("plain",)).get_content().replace("\u00a0", " ")
        assert "Total: NOK 1,250.00" in plain and "Balance: NOK 1,000.00" in plain
        text = pdf_text(by_number["D-004"][1].get_payload()[1].get_content())
        assert "Total NOK 1,250.00" in text and "Balance due NOK 1,000.00" in text
        assert "PLN 1,230.00" in pdf_text(list(by_number["I-001"][1].iter_attachments())[0].get_content())

        assert run_job(app).sent == 0
        assert len(server.handler.messages) == 3, "a second run sends nothing"


def test_server_down_then_up(mail_app):
    from models.clock import utcnow

    app = mail_app
    request_id = request_copy(app, "kari", "D-001")
    result = run_job(app)  # nothing listens on MAIL_PORT
    waiting = load(app, request_id)
    assert (result.sent, result.retrying, result.pending) == (0, 1, 1)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert "connection refused" in waiting.last_error and str(app.config["MAIL_PORT"]) in waiting.last_error
    assert waiting.next_attempt_at > utcnow()
    with SMTPServer(Inbox(), app.config["MAIL_PORT"]) as server:
        assert run_job(app).sent == 0, "not retried before its back-off has passed"
        result = run_job(app, now=waiting.next_attempt_at + timedelta(seconds=1))
        assert (result.sent, result.pending) == (1, 0)
        assert [m["Subject"].split()[1] for _, m in server.handler.messages] == ["D-001"]
    done = load(app, request_id)
    assert (done.status, done.attempts, done.last_error) == ("completed", 2, None)


def test_a_permanent_refusal_fails_with_the_reason(mail_app):
    app = mail_app
    refused = request_copy(app, "anna", "I-002")
    fine = request_copy(app, "nina", "D-003")
    with SMTPServer(Inbox(refuse={USERS["anna"][0]}), app.config["MAIL_PORT"]) as server:
        result = run_job(app)
        assert (result.sent, result.failed) == (1, 1)
        assert [r for r, _ in server.handler.messages] == [[USERS["nina"][0]]]
    failed = load(app, refused)
    assert (failed.status, failed.attempts, failed.error_kind) == ("failed", 1, "refused")
    assert failed.last_error.startswith("550 5.1.1") and "mailbox unavailable" in failed.last_error
    assert load(app, fine).status == "completed"


def test_two_job_runs_at_the_same_moment_send_each_request_once(mail_app):
    from models import db

    app = mail_app
    asked = [request_copy(app, who, number) for who, number in
             [("kari", "D-001"), ("kari", "D-002"), ("ola", "R1-001"), ("sara", "R2-001"), ("nina", "D-003"),
              ("anna", "I-001"), ("anna", "I-002"), ("ola", "R1-002")]]
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            with app.app_context():
                db.connect(reuse_if_open=True)
                try:
                    start.wait(timeout=10)
                    from services.request_job import process_pending_requests

                    results.append(process_pending_requests())
                finally:
                    db.close()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    with SMTPServer(Inbox(delay=0.05), app.config["MAIL_PORT"]) as server:
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        numbers = sorted(m["Subject"].split()[1] for _, m in server.handler.messages)
    assert numbers == sorted(["D-001", "D-002", "R1-001", "R2-001", "D-003", "I-001", "I-002", "R1-002"])
    assert sum(r.sent for r in results) == len(asked)
    assert all(r.sent for r in results) and sum(r.skipped for r in results), f"the runs did not overlap: {results}"
    assert all(load(app, request_id).status == "completed" for request_id in asked)
    assert all(load(app, request_id).attempts == 1 for request_id in asked)


def test_a_dropped_connection_between_messages_is_reopened(mail_app):
    """The job keeps one SMTP connection for a run; if the server drops it, the next message reconnects."""
    from services.mail import Mailer

    app = mail_app
    first = request_copy(app, "kari", "D-001")
    second = request_copy(app, "sara", "R2-001")
    with SMTPServer(Inbox(), app.config["MAIL_PORT"]) as server:
        with app.app_context():
            mailer = Mailer.from_config()

        class Dropping:
            def __init__(self):
                self.count = 0

            def send(self, message):
                mailer.send(message)
                self.count += 1
                if self.count == 1:
                    mailer._smtp.sock.close()  # the server's idle timeout, simulated

            def close(self):
                mailer.close()

        result = run_job(app, mailer=Dropping())
        assert result.sent == 2 and len(server.handler.messages) == 2
    assert load(app, first).status == load(app, second).status == "completed"


# Delivery unknown: the connection lost after the message was handed over -----------------------------------


class DropsAfterData(Inbox):
    """Keeps the message, then drops the connection before answering 250: the sender cannot know it went out."""

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        server.transport.close()
        return "250 Message accepted for delivery"  # never reaches the client


class DropsAtRecipient(Inbox):
    """Drops the connection before any message data was sent."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        server.transport.close()
        return "250 OK"


def test_a_connection_lost_after_data_is_delivery_unknown_and_never_sent_again(mail_app):
    app = mail_app
    first = request_copy(app, "kari", "D-001")
    second = request_copy(app, "anna", "I-001")
    with SMTPServer(DropsAfterData(), app.config["MAIL_PORT"]) as server:
        result = run_job(app)
        assert (result.sent, result.unknown, result.retrying) == (0, 2, 0)
        later = load(app, first).next_attempt_at + timedelta(hours=2)
        assert run_job(app, now=later).sent == 0
        assert sorted(m["Subject"].split()[1] for _, m in server.handler.messages) == ["D-001", "I-001"], \
            "each message reached the server once, and was not sent again"
    for request_id in (first, second):
        unknown = load(app, request_id)
        assert (unknown.status, unknown.attempts, unknown.error_kind) == ("unknown", 1, "after_data")
        assert "closed the connection" in unknown.last_error


def test_delivery_unknown_is_shown_on_my_account_in_every_language(mail_app, client):
    from tests.world import PASSWORD

    app = mail_app
    request_copy(app, "kari", "D-001")
    with SMTPServer(DropsAfterData(), app.config["MAIL_PORT"]):
        run_job(app)
    client.post("/login", data={"email": USERS["kari"][0], "password": PASSWORD})
    page = client.get("/account").get_data(as_text=True)
    assert "Delivery unknown" in page and "may have arrived" in page
    client.post("/language", data={"lang": "nb"})
    page = client.get("/account").get_data(as_text=True)
    assert "Levering ukjent" in page


def test_a_connection_lost_before_data_is_retried_as_before(mail_app):
    app = mail_app
    request_id = request_copy(app, "kari", "D-001")
    with SMTPServer(DropsAtRecipient(), app.config["MAIL_PORT"]) as server:
        result = run_job(app)
        assert (result.sent, result.unknown, result.retrying) == (0, 0, 1)
        assert server.handler.messages == []
    waiting = load(app, request_id)
    assert (waiting.status, waiting.error_kind) == ("pending", "temporary")
    with SMTPServer(Inbox(), app.config["MAIL_PORT"]) as server:
        assert run_job(app, now=waiting.next_attempt_at + timedelta(seconds=1)).sent == 1
        assert len(server.handler.messages) == 1


def test_the_operator_resends_a_delivery_unknown_deliberately(mail_app):
    from click.testing import CliRunner

    app = mail_app
    request_id = request_copy(app, "kari", "D-001")
    with SMTPServer(DropsAfterData(), app.config["MAIL_PORT"]):
        run_job(app)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["deliveries-unknown"])
    assert listed.exit_code == 0 and f"request {request_id}" in listed.output and "D-001" in listed.output
    assert runner.invoke(args=["resend", "request", "999999"]).exit_code != 0
    resent = runner.invoke(args=["resend", "request", str(request_id)])
    assert resent.exit_code == 0, resent.output
    assert load(app, request_id).status == "pending"
    with SMTPServer(Inbox(), app.config["MAIL_PORT"]) as server:
        assert run_job(app).sent == 1 and len(server.handler.messages) == 1
    assert load(app, request_id).status == "completed"
    assert runner.invoke(args=["resend", "request", str(request_id)]).exit_code != 0, "only an unknown one"


class DropsAtSecondRecipient(Inbox):
    """Takes the first message; drops the connection at the recipient of the next (before its data)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.messages:
            server.transport.close()
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_a_failure_before_data_on_a_kept_connection_is_retried_not_unknown(mail_app):
    """The job keeps one connection for a run: the first message's hand-over must not colour the second's failure."""
    app = mail_app
    first = request_copy(app, "kari", "D-001")
    second = request_copy(app, "sara", "R2-001")
    with SMTPServer(DropsAtSecondRecipient(), app.config["MAIL_PORT"]):
        result = run_job(app)
    assert (result.sent, result.unknown, result.retrying) == (1, 0, 1)
    assert load(app, first).status == "completed"
    assert (load(app, second).status, load(app, second).error_kind) == ("pending", "temporary")
def test_emails_come_from_the_seller_with_a_button_to_the_page_in_the_sites_identity(mail_app, client, auth):
    """The invoice copy, the payment confirmation and the statement: the seller's name as sender, a button (and the
    address written out in the plain text) to the page in the portal, built from PORTAL_URL, and the site's look."""
    from models import db
    from models.request import B2BRequest
    from tests.test_checkout import pay

    app = mail_app
    app.config.update(PORTAL_URL="https://portal.example/settle", SELLER_NAME="Fjord Grossist AS",
                      MAIL_DEFAULT_SENDER="faktura@fjord.example")
    request_copy(app, "kari", "D-004")
    auth.login("kari")
    reference = pay(client, {"R1-001": "100"}).headers["Location"].rsplit("/", 1)[1]
    client.post("/statement/email", data={"as_of": "2026-11-30"})
    with SMTPServer(Inbox(), app.config["MAIL_PORT"]) as server:
        assert run_job(app).sent == 3
        messages = [message for _, message in server.handler.messages]
    expected = {"Invoice D-004": "https://portal.example/settle/invoices/D-004",
                "Payment received": f"https://portal.example/settle/receipts/{reference}",
                "Statement of account": "https://portal.example/settle/statement?as_of="}
    for message in messages:
        assert message["From"] == "Fjord Grossist AS <faktura@fjord.example>"
        assert message["From"].addresses[0].display_name == "Fjord Grossist AS"
        (kind,) = [k for k in expected if message["Subject"].startswith(k)]
        html = message.get_body(("html",)).get_content()
        plain = message.get_body(("plain",)).get_content()
        link = expected[kind]
        assert re.search(rf'<a href="{re.escape(link)}[^"]*" style="display:inline-block;[^"]*background|'
                         rf'<td style="background:#1f4e79[^>]*>\s*<a href="{re.escape(link)}', html), kind
        assert link in plain, f"{kind}: the plain-text part carries the same link"
        # The site's identity: its brand colour and word mark, the seller's name, the portal's address.
        assert "#1f4e79" in html and ">Settle</span>" in html and "Fjord Grossist AS" in html
        assert 'href="https://portal.example/settle/"' in html
    with app.app_context(), db.connection_context():
        assert B2BRequest.select().where(B2BRequest.status == "completed").count() == 2


def test_an_email_dates_a_moment_in_the_readers_time_zone(mail_app):
    """Asked at 23:30 UTC on 30 November: in Oslo and Warsaw it was already 1 December."""
    from datetime import datetime

    from models import db
    from models.request import B2BRequest

    app = mail_app
    ids = [request_copy(app, "kari", "D-004"), request_copy(app, "anna", "I-001")]
    with app.app_context(), db.connection_context():
        B2BRequest.update(requested_at=datetime(2026, 11, 30, 23, 30)).where(B2BRequest.id.in_(ids)).execute()
    with SMTPServer(Inbox(), app.config["MAIL_PORT"]) as server:
        run_job(app)
        plain = {m["To"]: m.get_body(("plain",)).get_content() for _, m in server.handler.messages}
    assert "You asked for this copy on Dec 1, 2026." in plain[USERS["kari"][0]]
    assert "You asked for this copy on Dec 1, 2026." in plain[USERS["anna"][0]]
