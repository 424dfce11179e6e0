"""The statement email (a B2B request of type Statement) and the card payment's confirmation (a queued email),
through the real job and a REAL SMTP server (aiosmtpd): sent once, in the user's language, with the PDF; a
second run sends nothing; a server that is down is retried."""
from __future__ import annotations

import re
from datetime import timedelta

from tests.test_checkout import pay
from tests.test_mail import Inbox, SMTPServer, mail_app, pdf_text, run_job  # noqa: F401 - fixtures
from tests.world import USERS


def test_the_statement_is_emailed_once_in_the_users_language_with_the_pdf(mail_app, client, auth):  # noqa: F811
    from models import db
    from models.customer import User
    from models.request import B2BRequest

    app = mail_app
    with app.app_context(), db.connection_context():
        User.update(locale="nb").where(User.email == USERS["kari"][0]).execute()
    auth.login("kari")
    page = client.get("/statement").get_data(as_text=True)
    total = re.search(r"data-total-open>([^<]+)<", page).group(1)
    as_of = re.search(r'type="hidden" name="as_of" value="([^"]+)"', page).group(1)  # what the page's form sends
    assert client.post("/statement/email", data={"as_of": as_of}).status_code == 303
    assert run_job(app).pending == 1  # nothing listens yet: retried later
    with SMTPServer(Inbox(), app.config["MAIL_PORT"]) as server:
        later = run_job(app, now=__import__("models.clock", fromlist=["x"]).utcnow() + timedelta(minutes=2))
        assert later.sent == 1
        ((recipients, message),) = server.handler.messages
        assert recipients == [USERS["kari"][0]]
        assert message["Subject"].startswith("Kontoutskrift")  # Norwegian: the user's language
        plain = message.get_body(("plain",)).get_content().replace("\u00a0", " ")
        assert total.replace("\u00a0", " ") in plain
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_filename().startswith("statement-") and "D-002" in pdf_text(attachment.get_content())
        assert run_job(app, now=__import__("models.clock", fromlist=["x"]).utcnow() + timedelta(hours=2)).sent == 0
        assert len(server.handler.messages) == 1, "a second run sends nothing"
    with app.app_context(), db.connection_context():
        assert B2BRequest.get().status == "completed"
    assert "Completed" in client.get("/account").get_data(as_text=True) or "Fullført" in client.get(
        "/account").get_data(as_text=True)


def test_a_card_payment_is_confirmed_to_the_payer_with_the_receipt(mail_app, client, auth):  # noqa: F811
    from models import db
    from models.outbox import OutboxEmail

    app = mail_app
    auth.login("kari")
    response = pay(client, {"D-001": "100.00", "R1-001": "1250.00"})
    reference = response.headers["Location"].rsplit("/", 1)[1]
    client.get(response.headers["Location"])  # the receipt page, reloaded: still one email
    with app.app_context(), db.connection_context():
        (queued,) = OutboxEmail.select()
        assert queued.kind == "payment_receipt" and queued.to == USERS["kari"][0]
    with SMTPServer(Inbox(), app.config["MAIL_PORT"]) as server:
        assert run_job(app).sent == 1
        ((recipients, message),) = server.handler.messages
        assert recipients == [USERS["kari"][0]]
        plain = message.get_body(("plain",)).get_content().replace("\u00a0", " ")
        assert reference in plain and "D-001: NOK 100.00" in plain and "R1-001: NOK 1,250.00" in plain
        (attachment,) = list(message.iter_attachments())
        text = pdf_text(attachment.get_content())
        assert "D-001" in text and "R1-001" in text and "NOK 1,350.00" in text
        assert run_job(app).sent == 0
