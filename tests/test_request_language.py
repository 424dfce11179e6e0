"""A requested invoice copy or statement is written in the language of the page it was asked from — also for a
user who never chose a language and whose browser asks for Polish (it used to come in English)."""
from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.test_mail import run_job


def emails(app):
    outbox = Path(app.config["MAIL_OUTBOX"])
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(outbox.glob("*.eml"))]


@pytest.mark.parametrize("header, subject", [
    ("pl-PL,pl;q=0.9,en;q=0.5", "Faktura D-001 od"),
    ("nb-NO,nb;q=0.9", "Faktura D-001 fra"),
    ("en-GB,en;q=0.9", "Invoice D-001 from"),
])
def test_invoice_copy_in_the_browsers_language(world, client, auth, app, header, subject):
    headers = {"Accept-Language": header}
    client.post("/login", data={"email": "kari@ret1.example", "password": "test-Passw0rd"}, headers=headers)
    assert client.post("/invoices/D-001/request", headers=headers).status_code == 303
    assert run_job(app).sent == 1
    [message] = emails(app)
    assert message["Subject"].startswith(subject)


def test_statement_in_the_language_of_the_page(world, client, auth, app):
    headers = {"Accept-Language": "pl"}
    client.post("/login", data={"email": "kari@ret1.example", "password": "test-Passw0rd"}, headers=headers)
    assert client.post("/statement/email", data={"as_of": "2020-01-31"}, headers=headers).status_code == 303
    assert run_job(app).sent == 1
    [message] = emails(app)
    assert message["Subject"].startswith("Zestawienie konta na dzień 31 sty 2020")
