"""The back office API (/api/v1): tokens, import, invoices, external payments, feeds — and every answer checked
against the OpenAPI document (docs/openapi.json)."""
from __future__ import annotations

import copy
import json
import re
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.world import world_payload

OPENAPI = json.loads((Path(__file__).resolve().parent.parent / "docs" / "openapi.json").read_text())


def check_against_openapi(method: str, path: str, response) -> None:
    """The answer is one the document describes: its path, method and status, and its body fits the schema."""
    path = path.split("?", 1)[0]
    assert path.startswith("/api/v1/"), path
    rest = path[len("/api/v1"):]
    for template, operations in OPENAPI["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, rest) and method.lower() in operations:
            break
    else:
        template = None
    status = str(response.status_code)
    if template is None:  # no such operation: only an error answer is allowed
        schema = OPENAPI["components"]["schemas"]["Error"]
        assert response.status_code in (404, 405), (method, path, status)
    else:
        answers = operations[method.lower()]["responses"]
        assert status in answers, f"{method} {template} answered {status}, which the document does not describe"
        schema = answers[status]["content"]["application/json"]["schema"]
    assert response.mimetype == "application/json", response.mimetype
    Draft202012Validator({**schema, "components": OPENAPI["components"]}).validate(response.get_json())


class Api:
    """A client for the API that checks every answer against the OpenAPI document."""

    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def call(self, method, path, token="default", headers=None, **kwargs):
        headers = dict(headers or {})
        token = self.token if token == "default" else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        check_against_openapi(method, path, response)
        return response

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, body=None, data=None, **kwargs):
        if data is None:
            data = json.dumps(body)
        return self.call("POST", path, data=data, content_type="application/json", **kwargs)


def new_token(name="erp", scope="write"):
    from models import db
    from models.api import create_token

    with db.connection_context():
        return create_token(name, scope)


@pytest.fixture
def api(app, client):
    return Api(client, new_token())


def counts():
    from models.customer import Customer
    from models.invoice import Invoice, InvoiceLine, Payment
    from models import db

    with db.connection_context():
        return {m.__name__: m.select().count() for m in (Customer, Invoice, InvoiceLine, Payment)}


# ------------------------------------------------------------------------------------------ tokens
@pytest.mark.both_databases
def test_calls_without_a_valid_token_answer_401(api, auth):
    from models import db
    from models.api import revoke_token

    assert api.get("/api/v1/payments", token=None).status_code == 401
    assert api.get("/api/v1/payments", token="settle_not-a-token").status_code == 401
    assert api.get("/api/v1/payments", token=None, headers={"Authorization": "Basic dXNlcjpwdw=="}).status_code == 401
    assert api.get("/api/v1/payments").status_code == 200
    with db.connection_context():
        assert revoke_token("erp")
    assert api.get("/api/v1/payments").status_code == 401


def test_a_signed_in_browser_cookie_authorizes_nothing(api, world, auth):
    auth.login("nina")
    response = api.get("/api/v1/invoices/D-001", token=None)
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers


@pytest.mark.both_databases
def test_a_read_token_reads_but_may_not_write(app, client, world):
    reader = Api(client, new_token("reader", "read"))
    assert reader.get("/api/v1/invoices/D-001").status_code == 200
    before = counts()
    response = reader.post("/api/v1/import", world_payload())
    assert response.status_code == 403
    response = reader.post("/api/v1/invoices/D-001/payments",
                           {"amount": "100.00", "date": "2026-10-01", "reference": "BANK-1"})
    assert response.status_code == 403
    assert counts() == before


def test_cli_makes_and_revokes_tokens(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-api-token", "ledger", "--scope", "read"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    reader = Api(client, token)
    assert reader.get("/api/v1/payments").status_code == 200
    assert runner.invoke(args=["create-api-token", "ledger"]).exit_code != 0  # the name is taken
    result = runner.invoke(args=["revoke-api-token", "ledger"])
    assert result.exit_code == 0 and "revoked" in result.output
    assert reader.get("/api/v1/payments").status_code == 401
    from models import db
    from models.api import ApiToken

    with db.connection_context():
        assert token not in {t.token_hash for t in ApiToken.select()}  # only its hash is kept


def test_the_api_is_throttled_per_token(app, api):
    app.config["API_RATE_LIMIT"] = 3
    assert [api.get("/api/v1/payments").status_code for _ in range(4)] == [200, 200, 200, 429]
    other = Api(api.client, new_token("other"))
    assert other.get("/api/v1/payments").status_code == 200


def test_no_csrf_token_is_needed(app, api):
    app.config["WTF_CSRF_ENABLED"] = True
    response = api.post("/api/v1/import", world_payload())
    assert response.status_code == 200, response.get_json()


# ------------------------------------------------------------------------------------------ import
@pytest.mark.both_databases
def test_import_upserts_and_a_reimport_changes_nothing(api):
    response = api.post("/api/v1/import", world_payload())
    assert response.status_code == 200
    body = response.get_json()
    assert body["created"] == {"customers": 4, "users": 5, "products": 2, "invoices": 9, "credit_notes": 0}
    response = api.post("/api/v1/import", world_payload())
    assert response.get_json() == {"created": dict.fromkeys(body["created"], 0),
                                   "updated": dict.fromkeys(body["created"], 0)}
    payload = world_payload()
    payload["invoices"][0]["lines"][0]["quantity"] = "20"
    response = api.post("/api/v1/import", {"invoices": payload["invoices"]})
    assert response.get_json()["updated"]["invoices"] == 1
    invoice = api.get("/api/v1/invoices/D-001").get_json()
    assert invoice["total"] == "2500.00" and invoice["lines"][0]["quantity"] == "20"


@pytest.mark.both_databases
def test_a_bad_record_is_refused_whole_naming_record_and_field(api):
    api.post("/api/v1/import", world_payload())
    before = counts()
    payload = copy.deepcopy(world_payload())
    payload["invoices"][0]["lines"][0]["quantity"] = "30"   # a good change before the bad record
    payload["invoices"][1]["invoice_account"] = "NOPE"
    response = api.post("/api/v1/import", payload)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["record"], error["field"]) == ("import_refused", "invoice D-002", "invoice_account")
    assert error["message"].startswith("Import refused: invoice D-002: field 'invoice_account'")
    assert counts() == before
    assert api.get("/api/v1/invoices/D-001").get_json()["total"] == "1250.00"


def test_import_refuses_what_is_not_json_and_duplicate_keys(api):
    response = api.post("/api/v1/import", data="{not json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "not_json"
    text = json.dumps(world_payload()).replace('"number": "D-002",', '"number": "D-002", "number": "D-003",', 1)
    response = api.post("/api/v1/import", data=text)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "number"


def test_a_body_too_large_answers_413(app, api):
    app.config["API_MAX_CONTENT_LENGTH"] = 1000
    response = api.post("/api/v1/import", world_payload())
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert counts()["Invoice"] == 0


# ------------------------------------------------------------------------------------------ invoices, payments
def test_an_invoice_with_lines_payments_total_balance_status(api, world):
    body = api.get("/api/v1/invoices/D-004").get_json()
    assert (body["total"], body["balance"], body["status"]) == ("1250.00", "1000.00", "partial")
    assert body["lines"][0]["description"] == "Pallet wrap"
    assert body["payments"][0]["amount"] == "250.00" and body["payments"][0]["method"] == "imported"
    for number in ("NOPE", "D-001%00", "%E2%80%AE", "x" * 300):
        response = api.get(f"/api/v1/invoices/{number}")
        assert response.status_code == 404, number
    assert api.get("/api/v1/nothing-here").status_code == 404


@pytest.mark.both_databases
def test_a_payment_recorded_twice_with_one_reference_counts_once(api, world):
    payment = {"amount": "250.00", "date": "2026-10-02", "reference": "BANK-0001"}
    first = api.post("/api/v1/invoices/D-001/payments", payment)
    assert first.status_code == 201
    again = api.post("/api/v1/invoices/D-001/payments", payment)
    assert again.status_code == 200
    assert again.get_json()["payment"]["id"] == first.get_json()["payment"]["id"]
    invoice = api.get("/api/v1/invoices/D-001").get_json()
    assert (invoice["balance"], invoice["status"]) == ("1000.00", "partial")
    assert [p["reference"] for p in invoice["payments"]] == ["BANK-0001"]
    # The same reference for another invoice or amount is a conflict, not a second payment.
    assert api.post("/api/v1/invoices/D-002/payments", payment).status_code == 409
    assert api.post("/api/v1/invoices/D-001/payments", {**payment, "amount": "1.00"}).status_code == 409
    # More than the balance: 422, nothing recorded.
    response = api.post("/api/v1/invoices/D-001/payments",
                        {"amount": "1000.01", "date": "2026-10-02", "reference": "BANK-0002"})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "amount"
    assert api.get("/api/v1/invoices/D-001").get_json()["balance"] == "1000.00"


def test_the_list_and_summary_see_an_external_payment_like_any_payment(api, world, auth):
    api.post("/api/v1/invoices/D-003/payments", {"amount": "1.00", "date": "2026-10-02", "reference": "X-1"})
    api.post("/api/v1/invoices/D-002/payments", {"amount": "1250.00", "date": "2026-10-02", "reference": "X-2"})
    auth.login("nina")
    page = auth.client.get("/invoices?status=paid").get_data(as_text=True)
    assert "D-002" in page
    payments = auth.client.get("/payments")
    assert payments.status_code == 200 and "Bank transfer" in payments.get_data(as_text=True)
    assert "X-2" in payments.get_data(as_text=True)
    invoice = auth.client.get("/invoices/D-002")
    assert invoice.status_code == 200 and "Bank transfer" in invoice.get_data(as_text=True)


@pytest.mark.parametrize("body, field", [
    ({"amount": "12,50", "date": "2026-10-02", "reference": "A"}, "amount"),
    ({"amount": "-1.00", "date": "2026-10-02", "reference": "A"}, "amount"),
    ({"amount": "1.00", "date": "2026-W01-1", "reference": "A"}, "date"),
    ({"amount": "1.00", "date": "2026-10-02", "reference": "A\x00B"}, "reference"),
    ({"amount": "1.00", "date": "2026-10-02"}, "reference"),
])
def test_a_bad_payment_is_refused_naming_the_field(api, world, body, field):
    response = api.post("/api/v1/invoices/D-001/payments", body)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field
    assert api.get("/api/v1/invoices/D-001").get_json()["payments"] == []


# ------------------------------------------------------------------------------------------ feeds
def read_feed(api, path, limit):
    seen, cursor = [], "0"
    while True:
        body = api.get(f"{path}?after={cursor}&limit={limit}").get_json()
        key = path.rsplit("/", 1)[1]
        if not body[key]:
            assert body["next"] == cursor
            return seen, cursor
        seen.extend(item["id"] for item in body[key])
        cursor = body["next"]


@pytest.mark.both_databases
def test_the_payments_feed_read_in_pages_while_payments_are_made_misses_none_repeats_none(api, world):
    """Four writers record 60 payments while the reader pages through the feed three at a time."""
    from models import db
    from models.api import record_external_payment
    from models.invoice import Payment

    numbers = ["D-001", "D-002", "R1-001", "R2-001"]
    done = threading.Event()
    failures = []

    def writer(number):
        try:
            for n in range(15):
                with db.connection_context():
                    record_external_payment(number, Decimal("10.00"), date(2026, 10, 2), f"{number}-{n}")
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(number,)) for number in numbers]
    for thread in threads:
        thread.start()
    seen, cursor = [], "0"
    while True:
        finished = all(not t.is_alive() for t in threads)
        body = api.get(f"/api/v1/payments?after={cursor}&limit=3").get_json()
        seen.extend(item["id"] for item in body["payments"])
        cursor = body["next"]
        if finished and not body["payments"]:
            break
    for thread in threads:
        thread.join()
    assert not failures, failures
    with db.connection_context():
        recorded = [p.id for p in Payment.select().where(Payment.method == "transfer")]
    assert len(seen) == len(set(seen)) == 60
    assert set(seen) == set(recorded)


def test_a_payment_committed_late_is_not_passed_by_the_feed(app, world):
    """The trap of ids from a sequence: a payment inserted first but committed last. A reader that read the feed
    while the first writer's transaction was open must still get that payment after its cursor once it commits
    (with ids it would have passed it: the later payment's id is the larger one)."""
    from models import db
    from models.api import feed_page, record_external_payment
    from models.invoice import Invoice, Payment

    inside, release, failures = threading.Event(), threading.Event(), []

    def slow_writer():
        try:
            with db.connection_context(), db.atomic():
                invoice = Invoice.get(Invoice.number == "D-001")
                Payment.create(invoice=invoice.id, amount=Decimal("5.00"), method="transfer",
                               gateway_reference="SLOW")
                inside.set()
                release.wait(10)
        except Exception as error:  # pragma: no cover
            failures.append(error)

    def quick_writer():
        try:
            with db.connection_context():
                record_external_payment("D-002", Decimal("5.00"), date(2026, 10, 2), "QUICK")
        except Exception as error:  # pragma: no cover
            failures.append(error)

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert inside.wait(10)
    quick = threading.Thread(target=quick_writer)
    quick.start()
    quick.join(1)  # PostgreSQL: committed; SQLite: waiting for the write lock
    with db.connection_context():
        first = feed_page("payment", 0, 10)
        assert len(first) == (0 if quick.is_alive() else 1)
    cursor = first[-1][0] if first else 0
    release.set()
    slow.join(10)
    quick.join(10)
    assert not failures, failures
    with db.connection_context():
        rest = feed_page("payment", cursor, 10)
        references = [Payment.get_by_id(item_id).gateway_reference for _, item_id in first + rest]
        slow_id = Payment.get(Payment.gateway_reference == "SLOW").id
        quick_id = Payment.get(Payment.gateway_reference == "QUICK").id
    assert sorted(references) == ["QUICK", "SLOW"]
    if first:  # PostgreSQL: the payment inserted first has the smaller id but came after the cursor
        assert slow_id < quick_id and references == ["QUICK", "SLOW"]


def test_feed_cursors_and_limits_are_checked(api):
    assert api.get("/api/v1/payments?after=-1").status_code == 400
    assert api.get("/api/v1/payments?after=abc").status_code == 400
    assert api.get("/api/v1/payments?limit=0").status_code == 400
    assert api.get("/api/v1/payments?limit=5000").status_code == 400
    assert api.get("/api/v1/orders").get_json() == {"orders": [], "next": "0"}


def test_orders_and_requests_feeds(api, world, auth):
    from models import db
    from models.invoice import Invoice
    from models.request import B2BRequest
    from models.customer import User

    with db.connection_context():
        user = User.get(User.email == "kari@ret1.example")
        invoice = Invoice.get(Invoice.number == "D-001")
        B2BRequest.create(user=user.id, invoice=invoice.id, email=user.email)
    seen, _ = read_feed(api, "/api/v1/requests", 1)
    assert len(seen) == 1
    body = api.get("/api/v1/requests").get_json()["requests"][0]
    assert (body["invoice"], body["requested_by"], body["status"]) == ("D-001", "kari@ret1.example", "pending")


def test_the_openapi_document_is_served(api):
    body = api.get("/api/v1/openapi.json").get_json()
    assert body["openapi"].startswith("3.1")
    assert {"/import", "/invoices/{number}", "/invoices/{number}/payments", "/payments", "/orders",
            "/requests"} <= set(body["paths"])


def test_an_import_larger_than_the_forms_limit_is_taken_within_the_apis_own(app, api):
    """The portal's forms stop at MAX_CONTENT_LENGTH (1 MB); an ERP's import may be far larger (API_MAX_CONTENT_LENGTH):
    a 2 MB body passes every check that runs before the API's own (the control-character guard included)."""
    payload = world_payload()
    payload["customers"][0]["billing_address"] = "x" * 300  # a realistic field, repeated into a big body
    body = json.dumps(payload)
    padded = body[:-1] + ', "comment": "' + "y" * (2 * 1024 * 1024) + '"}'
    assert app.config["MAX_CONTENT_LENGTH"] < len(padded) < app.config["API_MAX_CONTENT_LENGTH"]
    response = api.post("/api/v1/import", data=padded)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["created"]["invoices"] == counts()["Invoice"] > 0
