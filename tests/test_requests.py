"""Request an invoice copy: the dialog, the request it creates, My account, the PDF — and the job's rules.

Runs on SQLite and PostgreSQL (the `app` fixture). Real SMTP is in test_mail.py; here the job
writes to the outbox or to a fake mailer whose failures we choose.
"""
import email
import re
from datetime import timedelta
from email import policy
from io import BytesIO

import pytest

from tests.world import ALL_NUMBERS, VISIBLE, USERS

HTMX = {"HX-Request": "true"}


def requests_in_db():
    from models import db
    from models.request import B2BRequest

    with db.connection_context():
        return list(B2BRequest.select().order_by(B2BRequest.id))


def get_request(request_id):
    from models import db
    from models.request import B2BRequest

    with db.connection_context():
        return B2BRequest.get_by_id(request_id)


def run_job(app, **kwargs):
    from models import db
    from services.request_job import process_pending_requests

    with app.app_context(), db.connection_context():
        return process_pending_requests(**kwargs)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages).replace("\u00a0", " ")


# The dialog -----------------------------------------------------------------------------------------


def test_dialog_fragment_shows_the_users_email_and_send_button(world, client, auth):
    auth.login("kari")
    response = client.get("/invoices/D-001/request", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith("<dialog"), "htmx gets the dialog alone, not a whole page"
    assert "<html" not in html
    title = re.search(r'aria-labelledby="([^"]+)"', html).group(1)
    assert f'id="{title}"' in html and "Request invoice D-001" in html
    assert USERS["kari"][0] in html
    assert ">Send request</button>" in html
    assert 'name="csrf_token"' in html
    assert 'hx-post="/invoices/D-001/request"' in html
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


def test_without_javascript_the_dialog_is_a_page_with_the_same_form(world, client, auth):
    auth.login("kari")
    html = client.get("/invoices/D-001/request").get_data(as_text=True)
    assert "<html" in html and "<h1" in html
    assert 'method="post" action="/invoices/D-001/request"' in html
    assert USERS["kari"][0] in html and ">Send request</button>" in html
    assert "hx-post" not in html.split('<main', 1)[1], "the plain page's form must not depend on htmx"


def test_request_button_on_list_and_invoice_page(world, client, auth):
    auth.login("kari")
    listing = client.get("/invoices").get_data(as_text=True)
    # On the list the button's text sits beside an icon (its name is still exactly "Request invoice").
    assert listing.count('<span class="button-label">Request invoice</span></button>') == len(VISIBLE["kari"])
    assert 'action="/invoices/D-001/request"' in listing and 'hx-get="/invoices/D-001/request"' in listing
    page = client.get("/invoices/R1-001").get_data(as_text=True)
    assert ">Request invoice</button>" in page
    assert 'href="/invoices/R1-001/pdf"' in page and "Download PDF" in page


# Creating requests ----------------------------------------------------------------------------------


def test_sending_without_javascript_creates_a_pending_request_and_redirects_to_my_account(world, client, auth):
    auth.login("kari")
    response = client.post("/invoices/D-002/request")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account#b2b-requests")
    [made] = requests_in_db()
    assert (made.status, made.type, made.email, made.attempts) == ("pending", "invoice_copy", USERS["kari"][0], 0)
    from models import db

    with db.connection_context():
        assert made.invoice.number == "D-002" and made.user.email == USERS["kari"][0]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "a copy of invoice D-002 will be emailed to kari@ret1.example" in page


def test_sending_with_htmx_confirms_in_place(world, client, auth):
    auth.login("kari")
    response = client.post("/invoices/R1-001/request", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Requested" in html and 'href="/account#b2b-requests"' in html
    assert "<html" not in html
    assert len(requests_in_db()) == 1


def test_a_double_click_makes_one_request(world, client, auth):
    auth.login("kari")
    client.post("/invoices/R1-001/request", headers=HTMX)
    again = client.post("/invoices/R1-001/request", headers=HTMX).get_data(as_text=True)
    assert "Already requested" in again
    assert len(requests_in_db()) == 1
    # Once sent, asking again is a new request.
    run_job(client.application)
    client.post("/invoices/R1-001/request", headers=HTMX)
    assert [r.status for r in requests_in_db()] == ["completed", "pending"]


@pytest.mark.parametrize("who", ["kari", "nina", "anna"])
def test_request_endpoints_obey_the_visibility_rule(world, client, auth, who):
    auth.login(who)
    hidden = sorted(ALL_NUMBERS - VISIBLE[who]) + ["NOPE-404"]
    for number in hidden:
        for method, url in [("get", f"/invoices/{number}/request"), ("post", f"/invoices/{number}/request"),
                            ("get", f"/invoices/{number}/pdf")]:
            for headers in ({}, HTMX):
                response = getattr(client, method)(url, headers=headers)
                assert response.status_code == 404, (method, url)
                # (the page may echo its own URL, e.g. in the language switcher; nothing else names the invoice)
                assert number not in response.get_data(as_text=True).replace(url, "")
    assert requests_in_db() == []
    # …and every visible invoice can be requested.
    for number in sorted(VISIBLE[who]):
        assert client.post(f"/invoices/{number}/request").status_code == 303
    assert len(requests_in_db()) == len(VISIBLE[who])


def test_signed_out_users_are_sent_to_sign_in(world, client):
    for response in (client.get("/invoices/D-001/request"), client.post("/invoices/D-001/request"),
                     client.get("/invoices/D-001/pdf")):
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert requests_in_db() == []


def test_a_post_without_csrf_token_is_refused(sqlite_url, tmp_path):
    from models import db
    from models.importer import import_data
    from tests.conftest import make_app
    from tests.world import PASSWORD, world_payload

    app = make_app(sqlite_url, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context(), db.connection_context():
        import_data(world_payload())
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": USERS["kari"][0], "password": PASSWORD, "csrf_token": token})
    assert client.post("/invoices/D-001/request").status_code == 400
    assert requests_in_db() == []
    dialog = client.get("/invoices/D-001/request", headers=HTMX).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', dialog).group(1)
    assert client.post("/invoices/D-001/request", data={"csrf_token": token}).status_code == 303
    assert len(requests_in_db()) == 1


# My account -------------------------------------------------------------------------------------------


def status_cells(html):
    return re.findall(r'<span class="status status-request-[a-z]+">([^<]+)</span>', html)


def test_my_account_lists_only_my_requests_with_their_status(world, client, auth):
    auth.login("kari")
    client.post("/invoices/D-001/request")
    client.post("/invoices/R1-001/request")
    auth.logout()
    auth.login("ola")  # same company, different person
    client.post("/invoices/D-002/request")
    html = client.get("/account").get_data(as_text=True)
    assert "B2B requests" in html
    section = html.split('id="b2b-requests"', 1)[1]
    assert "D-002" in section and "D-001" not in section and "R1-001" not in section
    assert status_cells(html) == ["Pending"]
    assert USERS["ola"][0] in section


def test_my_account_shows_completed_and_failed_with_the_reason(world, client, auth, app):
    auth.login("kari")
    client.post("/invoices/D-001/request")
    run_job(app)
    client.post("/invoices/R1-001/request")
    run_job(app, mailer=FakeMailer(refuse="550 5.1.1 mailbox unavailable"))
    html = client.get("/account").get_data(as_text=True)
    assert status_cells(html) == ["Failed", "Completed"]  # newest first
    assert "The mail server refused the message: 550 5.1.1 mailbox unavailable" in html


def test_my_account_without_requests_says_so(world, client, auth):
    auth.login("anna")
    html = client.get("/account").get_data(as_text=True)
    assert "B2B requests" in html and "No requests yet" in html


# The PDF --------------------------------------------------------------------------------------------


def test_pdf_download_holds_the_invoice(world, client, auth):
    auth.login("kari")
    response = client.get("/invoices/D-004/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert 'filename=D-004.pdf' in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    text = pdf_text(response.data)
    for expected in ["Invoice", "D-004", "Settle Supply AS", "DIST-1 Company", "DIST-1 street 1", "RET-1 RET-1 Company",
                     "Pallet wrap", "NOK 1,000.00", "NOK 250.00", "NOK 1,250.00", "Paid before", "Balance due",
                     "NOK 1,000.00"]:
        assert expected in text, expected


def test_pdf_renders_letters_beyond_latin_1(world, client, auth, app):
    from models import db
    from models.customer import Customer

    with db.connection_context():
        Customer.update(name="Hurtownia Wisła Sp. z o.o.", billing_address="Storgata 40\n9008 Tromsø\nŁódź")\
            .where(Customer.account == "IND-1").execute()
    auth.login("anna")
    text = pdf_text(client.get("/invoices/I-001/pdf").data)
    assert "Hurtownia Wisła" in text and "Tromsø" in text and "Łódź" in text
    assert "PLN 1,230.00" in text


# The job (no SMTP server: outbox and a fake mailer) --------------------------------------------------------


class FakeMailer:
    """Stands in for Mailer: records messages, or fails the way we say."""

    def __init__(self, refuse=None, down=False):
        self.sent, self.refuse, self.down = [], refuse, down

    def send(self, message):
        from services.mail import MailError

        if self.down:
            raise MailError("could not connect to mail server (connection refused)")
        if self.refuse:
            raise MailError(self.refuse, permanent=True)
        self.sent.append(message)

    def close(self):
        pass


def make_request(client, auth, who="kari", number="D-001"):
    auth.login(who)
    assert client.post(f"/invoices/{number}/request").status_code == 303
    auth.logout()
    return requests_in_db()[-1].id


def test_job_without_mail_server_writes_an_eml_to_the_outbox(world, client, auth, app, tmp_path):
    request_id = make_request(client, auth, "anna", "I-001")
    result = run_job(app)
    assert (result.sent, result.failed, result.pending) == (1, 0, 0)
    done = get_request(request_id)
    assert done.status == "completed" and done.completed_at is not None and done.attempts == 1
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == USERS["anna"][0] and "I-001" in message["Subject"]
    assert "I-001" in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "I-001.pdf" and "I-001" in pdf_text(attachment.get_content())
    assert run_job(app).sent == 0, "a second run sends nothing"
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_job_from_the_command_line(world, client, auth, app, tmp_path):
    make_request(client, auth, "kari", "D-001")
    make_request(client, auth, "nina", "D-002")
    result = app.test_cli_runner().invoke(args=["process-requests"])
    assert result.exit_code == 0, result.output
    assert "Sent 2, failed 0, still pending 0" in result.output
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    again = app.test_cli_runner().invoke(args=["process-requests"])
    assert "Sent 0, failed 0, still pending 0" in again.output


def test_failures_back_off_and_fail_after_five_attempts(world, client, auth, app):
    from models.clock import utcnow
    from models.request import BACKOFF, MAX_ATTEMPTS

    request_id = make_request(client, auth)
    down = FakeMailer(down=True)
    now = utcnow()
    for attempt in range(1, MAX_ATTEMPTS):
        result = run_job(app, mailer=down, now=now)
        pending = get_request(request_id)
        assert (result.retrying, pending.status, pending.attempts) == (1, "pending", attempt)
        assert "connection refused" in pending.last_error
        assert pending.next_attempt_at == now + BACKOFF[attempt - 1]
        # Not due yet: a run a moment later leaves it alone.
        assert run_job(app, mailer=down, now=now + timedelta(seconds=30)).retrying == 0
        assert get_request(request_id).attempts == attempt
        now = pending.next_attempt_at
    result = run_job(app, mailer=down, now=now)
    failed = get_request(request_id)
    assert (result.failed, failed.status, failed.attempts, failed.error_kind) == (1, "failed", 5, "gave_up")
    assert down.sent == []
    auth.login("kari")
    html = client.get("/account").get_data(as_text=True)
    assert status_cells(html) == ["Failed"] and "Gave up after 5 attempts" in html


def test_pending_request_shows_its_last_error_on_my_account(world, client, auth, app):
    make_request(client, auth)
    run_job(app, mailer=FakeMailer(down=True))
    auth.login("kari")
    html = client.get("/account").get_data(as_text=True)
    assert status_cells(html) == ["Pending"]
    assert "Attempt 1 did not go through (could not connect to mail server (connection refused))" in html


def test_a_permanent_refusal_fails_at_once(world, client, auth, app):
    request_id = make_request(client, auth)
    result = run_job(app, mailer=FakeMailer(refuse="550 no such user"))
    failed = get_request(request_id)
    assert (result.failed, failed.status, failed.attempts, failed.last_error) == (1, "failed", 1, "550 no such user")


def test_an_interrupted_send_is_never_repeated(world, client, auth, app):
    """A worker that died holding the claim: nobody knows whether the mail went out, so it is not resent; it is
    Delivery unknown, on My account and for the operator's `deliveries-unknown`."""
    from models import db
    from models.clock import utcnow
    from models.request import CLAIM_LEASE, B2BRequest

    request_id = make_request(client, auth)
    with db.connection_context():
        B2BRequest.update(claim_token="dead-worker", claimed_until=utcnow() + CLAIM_LEASE, attempts=1)\
            .where(B2BRequest.id == request_id).execute()
    mailer = FakeMailer()
    assert run_job(app, mailer=mailer).sent == 0, "a live claim belongs to its worker"
    assert get_request(request_id).status == "pending"
    result = run_job(app, mailer=mailer, now=utcnow() + CLAIM_LEASE + timedelta(seconds=1))
    gone = get_request(request_id)
    assert (result.unknown, gone.status, gone.error_kind, mailer.sent) == (1, "unknown", "interrupted", [])
    assert run_job(app, mailer=mailer, now=utcnow() + timedelta(hours=3)).sent == 0 and mailer.sent == []
    listed = app.test_cli_runner().invoke(args=["deliveries-unknown"])
    assert f"request {request_id}" in listed.output
    auth.login("kari")  # (make_request signed out)
    page = client.get("/account").get_data(as_text=True)
    assert "Delivery unknown" in page and "Sending was interrupted" in page


def test_a_request_is_not_sent_once_the_invoice_is_no_longer_visible(world, client, auth, app):
    """The job applies the visibility rule again: RET-1 stops billing through DIST-1 before the email goes."""
    from models import db
    from models.customer import Customer

    request_id = make_request(client, auth, "kari", "D-001")
    with db.connection_context():
        Customer.update(invoice_account=None).where(Customer.account == "RET-1").execute()
    mailer = FakeMailer()
    result = run_job(app, mailer=mailer)
    gone = get_request(request_id)
    assert (result.failed, gone.status, gone.error_kind, mailer.sent) == (1, "failed", "no_access", [])


def test_one_request_per_email_in_a_run_with_many(world, client, auth, app):
    for who, number in [("kari", "D-001"), ("kari", "R1-002"), ("sara", "R2-001"), ("anna", "I-002")]:
        make_request(client, auth, who, number)
    mailer = FakeMailer()
    result = run_job(app, mailer=mailer)
    assert result.sent == 4
    sent = sorted((m["To"], m["Subject"].split()[1]) for m in mailer.sent)
    assert sent == sorted([(USERS["kari"][0], "D-001"), (USERS["kari"][0], "R1-002"),
                           (USERS["sara"][0], "R2-001"), (USERS["anna"][0], "I-002")])


# The worker ----------------------------------------------------------------------------------------------


def test_worker_runs_the_same_job_every_minute(world, client, auth, app, tmp_path):
    import worker
    from huey import RedisHuey, SqliteHuey

    assert isinstance(worker.make_huey(None, tmp_path), SqliteHuey)
    assert isinstance(worker.make_huey("redis://127.0.0.1:6399/0", tmp_path), RedisHuey)
    periodic = [task for task in worker.huey._registry._periodic_tasks if task.__name__ == "process_requests"]
    assert periodic, "process_requests is a periodic task"
    make_request(client, auth, "anna", "I-001")
    result = worker.run_job(app)
    assert result.sent == 1
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
