"""The back office API under /api/v1 (CONTRACT.md "The back office API"; docs/api.md; docs/openapi.json).

Every call carries `Authorization: Bearer <token>` (models/api.py: tokens made by `create-api-token`); a read
token may only read. JSON in and out; errors are `{"error": {"code", "message", "record", "field"}}`. No session:
the API never reads the signed-in user or a cookie, and CSRF does not apply to it (a cookie cannot authorize a
call, so a cross-site page cannot make one). Calls are throttled per token (API_RATE_LIMIT a minute) by the portal's
Flask-Limiter storage (views/throttle.py: api_gate), shared through Redis when REDIS_URL is set.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, request
from peewee import JOIN
from werkzeug.exceptions import HTTPException

from models.api import (PaymentRefused, authenticate, feed_page, payment_fields,
                        record_external_payment)
from models.customer import Customer, User
from models.importer import ImportProblem, NotJSON, import_file
from models.invoice import Invoice, Payment, is_plausible_number
from models.order import SalesOrder, SalesOrderLine
from models.request import B2BRequest
from .throttle import api_gate

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


# ------------------------------------------------------------------------------------------ answers
def json_error(status: int, code: str, message: str, record: str | None = None, field: str | None = None):
    error = {"code": code, "message": message}
    if record is not None:
        error["record"] = record
    if field is not None:
        error["field"] = field
    response = jsonify({"error": error})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              422: "unprocessable", 429: "too_many_requests"}


def http_error_json(error: HTTPException):
    """Any HTTP error under /api/v1 (also a URL no route matches) as the API's JSON error."""
    code = error.code or 500
    if code == 413:
        return json_error(413, "too_large", "The request body is larger than this API accepts.")
    if code >= 500:
        return json_error(500, "server_error", "Something went wrong; nothing was changed. Try again.")
    return json_error(code, HTTP_CODES.get(code, "bad_request"), error.description or error.name)


@bp.errorhandler(HTTPException)
def _http_error(error):
    return http_error_json(error)


def _money(value) -> str:
    return f"{value:.2f}"


def _decimal_text(value) -> str:
    text = f"{value.normalize():f}"
    return text


# ------------------------------------------------------------------------------------------ every call
@bp.before_request
def _authenticate():
    # The import takes bigger bodies than the forms (MAX_CONTENT_LENGTH): API_MAX_CONTENT_LENGTH, 64 MB by default.
    request.max_content_length = current_app.config.get("API_MAX_CONTENT_LENGTH", 64 * 1024 * 1024)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    found = authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        response = json_error(401, "unauthorized", "A valid API token is needed: Authorization: Bearer <token>.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="settle-api"'
        return response
    limit = int(current_app.config.get("API_RATE_LIMIT") or 0)
    gate = api_gate(found.token_hash[:24])
    if limit and not gate.take():
        response = json_error(429, "too_many_requests", f"More than {limit} calls a minute with this token; "
                                                        "wait a moment and try again.")
        response.headers["Retry-After"] = str(gate.retry_after())
        return response
    if request.method not in ("GET", "HEAD", "OPTIONS") and not found.may_write:
        return json_error(403, "forbidden", "This token may only read.")
    g.api_token = found


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_body():
    """The request's JSON object (a key given twice is refused), or raise ImportProblem."""
    def strict(pairs):
        seen = {}
        for key, value in pairs:
            if key in seen:
                raise ImportProblem("body", key, "appears twice (a duplicate JSON key)")
            seen[key] = value
        return seen

    try:
        return json.loads(request.get_data(), object_pairs_hook=strict)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        if isinstance(error, ImportProblem):
            raise
        raise NotJSON(str(error)) from None


# ------------------------------------------------------------------------------------------ import
@bp.post("/import")
def import_records():
    """The import-data format; the same code path as `flask --app app import-data` (models/importer.py)."""
    # The body is spooled (to disk beyond 8 MB) rather than held: the importer reads it as a stream, twice.
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as body:
        shutil.copyfileobj(request.stream, body, 1024 * 1024)
        body.seek(0)
        try:
            summary = import_file(body)
        except NotJSON as error:
            return json_error(400, "not_json", f"Import refused: the body is not valid JSON ({error}). "
                                               "Nothing was imported.")
        except ImportProblem as problem:
            return json_error(422, "import_refused", f"Import refused: {problem}. Nothing was imported.",
                              problem.record, problem.field)
    return jsonify({"created": summary.created, "updated": summary.updated})


# ------------------------------------------------------------------------------------------ invoices
def _payment_json(payment, number, currency, paid_by):
    return {"id": payment.id, "invoice": number, "amount": _money(payment.amount),
            "discount": _money(payment.discount), "currency": currency, "method": payment.method,
            "reference": payment.gateway_reference, "paid_at": payment.created_at.isoformat(timespec="seconds") + "Z",
            "paid_by": paid_by}


def _line_json(line):
    return {"line_no": line.line_no, "item": line.item, "description": line.description,
            "quantity": _decimal_text(line.quantity), "unit_price": _decimal_text(line.unit_price),
            "tax_percent": _decimal_text(line.tax_percent), "amount": _money(line.amount), "tax": _money(line.tax)}


def _invoice_json(invoice):
    invoice.with_accounts()
    payments = invoice.payment_list()
    emails = dict(User.select(User.id, User.email).where(User.id.in_([p.user_id for p in payments if p.user_id]))
                  .tuples()) if any(p.user_id for p in payments) else {}
    return {"number": invoice.number, "invoice_account": invoice.invoice_account.account,
            "order_account": invoice.order_account.account, "invoice_date": invoice.invoice_date.isoformat(),
            "due_date": invoice.due_date.isoformat(), "currency": invoice.currency, "total": _money(invoice.total),
            "balance": _money(invoice.balance), "status": invoice.status, "kid": invoice.kid,
            "buyer_reference": invoice.buyer_reference,
            "lines": [_line_json(line) for line in invoice.line_list()],
            "payments": [_payment_json(p, invoice.number, invoice.currency, emails.get(p.user_id)) for p in payments]}


def _invoice(number):
    if not is_plausible_number(number):
        return None
    return Invoice.get_or_none(Invoice.number == number)


@bp.get("/invoices/<path:number>")
def invoice(number):
    found = _invoice(number)
    if found is None:
        return json_error(404, "not_found", f"There is no invoice {number[:40]!r}.", f"invoice {number[:40]}")
    return jsonify(_invoice_json(found))


@bp.post("/invoices/<path:number>/payments")
def record_payment(number):
    """A payment received outside the portal; the same reference twice records it once."""
    try:
        amount, day, reference = payment_fields(_json_body())
        recorded = record_external_payment(number, amount, day, reference)
    except NotJSON as error:
        return json_error(400, "not_json", f"The body is not valid JSON ({error}).")
    except ImportProblem as problem:
        return json_error(422, "invalid", f"{problem}.", problem.record, problem.field)
    except PaymentRefused as refused:
        return json_error(refused.status, refused.code, refused.message, "payment", refused.field)
    invoice = recorded.invoice
    body = {"payment": _payment_json(recorded.payment, invoice.number, invoice.currency, None),
            "invoice": {"number": invoice.number, "total": _money(invoice.total),
                        "balance": _money(invoice.balance), "status": invoice.status}}
    return jsonify(body), (201 if recorded.created else 200)


# ------------------------------------------------------------------------------------------ feeds
def _page_args():
    after, limit = request.args.get("after", "0"), request.args.get("limit", str(DEFAULT_LIMIT))
    if not (after.isascii() and after.isdigit() and len(after) <= 18):
        return None, None, json_error(400, "bad_cursor", "after must be a cursor this API gave as next.",
                                      field="after")
    if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= MAX_LIMIT):
        return None, None, json_error(400, "bad_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.",
                                      field="limit")
    return int(after), int(limit), None


def _feed(kind, key, load):
    after, limit, error = _page_args()
    if error:
        return error
    page = feed_page(kind, after, limit)
    found = load([item_id for _, item_id in page]) if page else {}
    items = [found[item_id] for _, item_id in page if item_id in found]
    return jsonify({key: items, "next": str(page[-1][0] if page else after)})


def _load_payments(ids):
    rows = (Payment.select(Payment, Invoice.number, Invoice.currency, User.email)
            .join(Invoice, on=(Payment.invoice == Invoice.id))
            .switch(Payment).join(User, join_type=JOIN.LEFT_OUTER, on=(Payment.user == User.id))
            .where(Payment.id.in_(ids)).objects())
    return {p.id: _payment_json(p, p.number, p.currency, p.email) for p in rows}


def _load_orders(ids):
    Billed = Customer.alias()
    orders = list(SalesOrder.select(SalesOrder, Customer.account.alias("ordered"), Billed.account.alias("billed"))
                  .join(Customer, on=(SalesOrder.order_account == Customer.id))
                  .switch(SalesOrder).join(Billed, on=(SalesOrder.invoice_account == Billed.id))
                  .where(SalesOrder.id.in_(ids)).objects())
    lines = {}
    for line in SalesOrderLine.select().where(SalesOrderLine.order.in_(ids)).order_by(SalesOrderLine.line_no):
        lines.setdefault(line.order_id, []).append(_line_json(line))
    return {o.id: {"id": o.id, "number": o.number, "order_account": o.ordered, "invoice_account": o.billed,
                   "placed_at": o.created_at.isoformat(timespec="seconds") + "Z", "currency": o.currency,
                   "payment_method": o.payment_method, "lines": lines.get(o.id, []), "total": _money(o.total),
                   "status": o.status} for o in orders}


def _load_requests(ids):
    rows = (B2BRequest.select(B2BRequest, User.email.alias("user_email"), Invoice.number)
            .join(User, on=(B2BRequest.user == User.id))
            .switch(B2BRequest).join(Invoice, join_type=JOIN.LEFT_OUTER, on=(B2BRequest.invoice == Invoice.id))
            .where(B2BRequest.id.in_(ids)).objects())
    return {r.id: {"id": r.id, "type": r.type, "status": r.status, "invoice": r.number, "email": r.email,
                   "requested_by": r.user_email, "as_of": r.as_of.isoformat() if r.as_of else None,
                   "requested_at": r.requested_at.isoformat(timespec="seconds") + "Z"} for r in rows}


@bp.get("/payments")
def payments_feed():
    return _feed("payment", "payments", _load_payments)


@bp.get("/orders")
def orders_feed():
    return _feed("order", "orders", _load_orders)


@bp.get("/requests")
def requests_feed():
    return _feed("request", "requests", _load_requests)


@bp.get("/openapi.json")
def openapi():
    response = current_app.response_class(OPENAPI.read_bytes(), mimetype="application/json")
    return response

