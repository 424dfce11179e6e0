"""Hostile input never gives a 5xx and never shows or changes another company's data, on SQLite and PostgreSQL.

Every URL rule of the app (`app.url_map`, static files aside) is tried with garbage and out-of-range path
parameters, garbage query arguments and crafted form bodies (missing fields, numbers no form sends, lists where
one value is expected, JSON instead of a form), signed out, as a user with every role and as a Viewer. Another
company's real identifiers (invoice, credit note, order, receipt, user, invitation, cart line) answer 404 with
nothing of it in the page, and leave its data as it was. Rules added later (the API under /api/v1 too) are
tried the same way without this file knowing them: only the form fields each area reads are listed here.

World (tests/world.py): kari (RET-1) sees the D- and R1- invoices; anna (IND-1) is another company.
"""
from __future__ import annotations

import json
import re
from datetime import date
from io import BytesIO

import pytest
from werkzeug.datastructures import MultiDict

from tests.conftest import Auth
from tests.test_checkout import gateway_result, start_payment

pytestmark = pytest.mark.both_databases

BIG = str(2**64)
# Path parameters: out of range (beyond a 64-bit integer), negative, not a number, unicode, dots, very long.
INT_PARAMS = [str(2**63), BIG, "9" * 40, "0", "-1", "1.5", "ǅ", "%EF%BC%91"]  # the last: a fullwidth "1"
TEXT_PARAMS = [BIG, "-1", "ÆØÅ-ü€", "..", "%2E%2E", "x" * 3000, "D-001'--", "%25", "%20", "%C3%28", "%FF"]

# Form values no form of the portal sends.
VALUES = ["", "1e309", "NaN", "-0", "Infinity", "-Infinity", str(10**30), "1" + "0" * 400, "abc", "١٢٣",
          "0x10", "1_000", "-5", "0.0000001", "💶", "x" * 5000, "2026-13-45", "true", "[]", "{}"]

# The form fields each area reads ({line} is a cart line id).
FIELDS = {
    "cart.update": ["amount-{line}", "quantity-{line}", "action"],
    "cart.add_invoice": ["invoice"], "cart.add_selected": ["invoice", "currency"],
    "cart.add_overdue": ["currency"], "cart.add_product": ["product", "quantity"],
    "cart.set_amount": ["amount-{line}", "amount"], "cart.set_quantity": ["quantity-{line}", "quantity"],
    "checkout.pay": ["payment_method", "cart_version"],
    "orders.place": ["payment_method", "cart_version", "buyer_reference", "delivery_address"],
    "requests.create": ["kind", "note"], "statements.email": ["as_of", "from"],
    "users.invite": ["email", "name", "roles"], "users.save_roles": ["roles"],
    "users.accept": ["password", "repeat"], "password.reset": ["password", "repeat"],
    "password.change": ["current", "password", "repeat"], "password.forgot": ["email"],
    "auth.login": ["email", "password", "remember", "next"], "language.choose": ["lang", "next"],
    "gateway.pay": ["card_number"],
}
# What signs the client out or empties what the others need: tried on their own (test_the_acts_that_end_things).
ENDING = {"auth.logout", "password.everywhere", "cart.clear", "cart.remove"}


def JSON_BODIES(fields):  # noqa: N802 - a table, like the others
    """Bodies for an API rule: not JSON, nested past any parser's depth, a key twice, each field non-finite,
    huge, a list or an object where a value goes."""
    documents = ["", "not json", "[]", "null", "1", '"x"', "[" * 5000 + "]" * 5000, '{"a": 1, "a": 2}',
                 b'{"x": "\xff"}']
    for value in ("1e309", "NaN", "-Infinity", str(10**30), "-0", '"1e309"', '"NaN"', "[1, 2]", "{}", "null",
                  "true", '"' + "x" * 5000 + '"', '"\u0000"'):
        documents.append("{" + ", ".join(f'"{field}": {value}' for field in fields) + "}")
    return documents


QUERIES = ["page=-1", "page=abc", f"page={10**30}", "page=0", "page=1.5", "per_page=100000", "status=nope",
           "sort=;drop", "sort=-amount", "sort=" + "x" * 500, "as_of=2026-13-45", "as_of=0001-01-01",
           "from=9999-12-31", "to=2026-02-30", "q=" + "é" * 3000, "q=%25_%5C", "q='", "amount=1e309",
           "amount_min=NaN", "min=-Infinity", "order_account=" + BIG, "currency=💶", "kind=x", "after=" + BIG,
           "lang=xx", "to=9999-12-31", "from=0001-01-01", "due_to=9999-12-31", "invoice_from=0001-01-01",
           "q=" + "9" * 30, "q=99999999999999999.99", "q=1e309", "q=-0", "page=2&after=9999-12-31~999999999999999999",
           "page=2&before=1:0001-01-01~1", "page=2&sort=amount&after=-999999999999999999~1",
           "next=//evil.example", "next=//[x", "next=http://[::1", "status=open&status=paid&status=x", "unknown=1"]
LOCAL_QUERIES = ["page=-1&q=1 000,50", "q=1.000.000,5&sort=x", "q=−5,00&from=31.12.2026", "q=%C2%A0%E2%80%AF1,5",
                 "page=2&after=x~1&status=nope"]


def _counts():
    """Rows that a refused request must not add."""
    from models import db
    from models.checkout import Checkout
    from models.customer import User
    from models.invitation import Invitation
    from models.invoice import Payment
    from models.order import SalesOrder
    from models.outbox import OutboxEmail
    from models.request import TYPE_STATEMENT, B2BRequest

    with db.connection_context():
        return {"payments": Payment.select().where(Payment.method != "imported").count(),
                "checkouts": Checkout.select().count(), "orders": SalesOrder.select().count(),
                # (an invoice copy is asked for by a POST that reads nothing else: any body asks for it)
                "statements": B2BRequest.select().where(B2BRequest.type == TYPE_STATEMENT).count(),
                "users": User.select().count(),
                "invitations": Invitation.select().count(), "emails": OutboxEmail.select().count()}


def _order_form(client) -> dict:
    """The cart version the checkout page shows (Place order sends it)."""
    version = re.search(r'name="cart_version" value="(\d+)"', client.get("/checkout").get_data(as_text=True))
    return {"cart_version": version.group(1) if version else ""}


def _signed_in(app, who) -> Auth:
    auth = Auth(app.test_client())
    auth.login(who)
    return auth


@pytest.fixture
def others(app, world):
    """anna's company (IND-1) with one of each thing a URL names: a credit note, a paid receipt, an order, an
    invitation, a cart line; and kari's own of the same, so that crafted bodies reach the code behind the ids."""
    from models import db
    from models.cart import Cart, CartLine
    from models.checkout import Checkout
    from models.customer import User
    from models.importer import import_data
    from models.invitation import Invitation
    from models.order import SalesOrder

    today = date.today().isoformat()
    note = {"invoice_date": today, "lines": [{"description": "Return", "quantity": "1", "unit_price": "10.00",
                                              "tax_percent": "25"}]}
    with db.connection_context():
        import_data({"credit_notes": [dict(note, number="CN-I1", invoice="I-001", currency="PLN"),
                                      dict(note, number="CN-D1", invoice="D-001", currency="NOK")]})
    anna = _signed_in(app, "anna")
    # a paid receipt
    assert anna.client.post("/cart/invoices", data={"invoice": "I-002"}).status_code == 303
    assert anna.client.post("/cart", data={"action": "checkout"}).status_code == 303
    signed_return = gateway_result(anna.client, start_payment(anna.client))
    assert anna.client.get(signed_return).status_code == 303
    # an order (by card: IND-1 has no credit limit), an invitation, a line in the cart
    assert anna.client.post("/cart/products", data={"product": "P-100", "quantity": "1"}).status_code == 303
    assert anna.client.post("/orders", data=_order_form(anna.client) | {"payment_method": "card"}).status_code == 303
    assert anna.client.post("/account/users/invite", data={"email": "new@ind1.example", "name": "New",
                                                           "roles": ["viewer"]}).status_code == 303
    assert anna.client.post("/cart/invoices", data={"invoice": "I-001"}).status_code == 303
    with db.connection_context():
        anna_user = User.get(User.email == "anna@ind1.example")
        found = {
            "invoice": "I-001", "credit_note": "CN-I1",
            "receipt": Checkout.get(Checkout.user == anna_user, Checkout.status == "paid").gateway_reference,
            "checkout": Checkout.get(Checkout.user == anna_user, Checkout.status == "paid").reference,
            "signed_return": signed_return,
            "order": SalesOrder.get(SalesOrder.order_account == anna_user.customer_id).number,
            "user": anna_user.id, "invitation": Invitation.get(Invitation.email == "new@ind1.example").id,
            "line": CartLine.select().join(Cart).where(Cart.user == anna_user).get().id,
        }
    return found


def _state(others):
    """What a refused request must leave as it was of anna's company."""
    from models import db
    from models.cart import CartLine
    from models.credit_note import CreditNote
    from models.customer import User
    from models.invitation import Invitation
    from models.order import SalesOrder

    with db.connection_context():
        user = User.get_by_id(others["user"])
        invitation = Invitation.get_by_id(others["invitation"])
        return (user.active, user.roles, invitation.status, invitation.sends,
                CartLine.get_by_id(others["line"]).amount, CreditNote.get(CreditNote.number == "CN-I1").used,
                SalesOrder.get(SalesOrder.number == others["order"]).status)


def _api_headers() -> dict:
    """A write token for the API (/api/v1), when the portal has one; signed-in users reach the rest."""
    try:
        from models.api import create_token
    except ImportError:
        return {}
    from models import db

    with db.connection_context():
        return {"Authorization": f"Bearer {create_token('no-server-errors')}"}


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _path(rule, value_for) -> str:
    path = rule.rule
    for argument in rule.arguments:
        path = re.sub(r"<(?:[^:<>]+:)?" + argument + ">", value_for(rule, argument), path)
    return path


def _is_int(rule, argument) -> bool:
    return f"<int:{argument}>" in rule.rule


def _methods(rule):
    return sorted(rule.methods & {"GET", "POST", "PUT", "PATCH", "DELETE"})


def _expand(fields, line):
    return [field.format(line=line) for field in fields]


class Failures(list):
    def check(self, who, method, path, response, body=None):
        if response.status_code >= 500:
            self.append(f"{who} {method} {path[:60]}…{path[-90:]} {str(body)[:120]} -> {response.status_code}")


def _send(client, method, path, **kwargs):
    return client.open(path, method=method, **kwargs)


def test_hostile_paths_queries_and_bodies_never_answer_5xx(app, world, others):
    from models import db
    from models.cart import Cart, CartLine
    from models.customer import User

    app.config.update(PROPAGATE_EXCEPTIONS=False, API_RATE_LIMIT=0)  # a 500 is answered (and counted), not raised
    kari = _signed_in(app, "kari")
    api = _api_headers()
    assert kari.client.post("/cart/invoices", data={"invoice": "D-001"}).status_code == 303
    assert kari.client.post("/cart/products", data={"product": "A-100", "quantity": "1"}).status_code == 303
    with db.connection_context():
        User.update(roles="viewer").where(User.email == "ola@ret1.example").execute()
        kari_user = User.get(User.email == "kari@ret1.example")
        lines = [line.id for line in CartLine.select().join(Cart).where(Cart.user == kari_user)
                 .order_by(CartLine.id)]
        own = {"line_id": lines[0], "user_id": kari_user.id, "number": "D-001", "reference": "x", "token": "x"}
    viewer = _signed_in(app, "ola")
    assert viewer.client.post("/language", data={"lang": "pl"}).status_code == 303
    anonymous = app.test_client()
    before = _counts()
    failures = Failures()

    rules = _rules(app)
    for rule in rules:
        variants = INT_PARAMS if any(_is_int(rule, a) for a in rule.arguments) else TEXT_PARAMS
        for value in variants if rule.arguments else []:
            path = _path(rule, lambda r, a: value)
            for method in _methods(rule):
                if rule.endpoint in ENDING:
                    continue
                for who, client in (("kari", kari.client), ("anonymous", anonymous)):
                    failures.check(who, method, path, _send(client, method, path, headers=api))

    pages = [rule for rule in rules if "GET" in rule.methods]
    for rule in pages:
        path = _path(rule, lambda r, a: str(own.get(a, "1")))
        slow = rule.rule.endswith(("pdf", ".xlsx"))  # a document is made whatever the query: a few will do
        for query in QUERIES[1:3] + QUERIES[10:11] if slow else QUERIES:
            failures.check("kari", "GET", f"{path}?{query}", kari.client.get(f"{path}?{query}", headers=api))
        for query in LOCAL_QUERIES:  # the viewer reads Polish: amounts and dates as Poles write them; htmx asks
            failures.check("viewer pl", "GET", f"{path}?{query}",
                           viewer.client.get(f"{path}?{query}", headers={"HX-Request": "true"}))

    line_for = {"cart.set_amount": lines[0], "cart.set_quantity": lines[-1]}
    for rule in rules:
        if not rule.methods & {"POST", "PUT", "PATCH"} or rule.endpoint in ENDING:
            continue
        line = line_for.get(rule.endpoint, lines[0])
        path = _path(rule, lambda r, a: str(line if a == "line_id" else own.get(a, "1")))
        fields = _expand(FIELDS.get(rule.endpoint, ["value"]), line)
        bodies = [{}] + [{field: value for field in fields} for value in VALUES]
        bodies.append(MultiDict([(field, value) for field in fields for value in ("1", "abc", "")]))  # duplicate keys
        for body in bodies:
            failures.check("kari", "POST", path, kari.client.post(path, data=body), body)
        for body in bodies[:6]:  # the same through htmx, which answers in place
            failures.check("kari htmx", "POST", path, kari.client.post(path, data=body, headers={"HX-Request": "true"}),
                           body)
        for body in bodies[:3]:
            failures.check("viewer", "POST", path, viewer.client.post(path, data=body), body)
            failures.check("anonymous", "POST", path, anonymous.post(path, data=body), body)
        as_json = {field: [1, {"a": None}] for field in fields}
        failures.check("kari", "POST json", path, kari.client.post(path, data=json.dumps(as_json),
                                                                   content_type="application/json"), as_json)
        failures.check("kari", "POST text", path, kari.client.post(path, data=b"\xff\xfe" * 100,
                                                                   content_type="text/plain"))
        if rule.rule.startswith("/api/"):  # an API reads JSON: broken, deep, huge and non-finite documents
            for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
                for document in JSON_BODIES(fields):
                    failures.check("kari", f"{method} json", path, kari.client.open(
                        path, method=method, data=document, content_type="application/json", headers=api), document)

    assert not failures, f"{len(failures)} answers were 5xx:\n" + "\n".join(failures[:40])
    after = _counts()
    assert after == before, "a refused request wrote something"


def test_another_companys_identifiers_answer_404_and_change_nothing(app, world, others):
    kari = _signed_in(app, "kari")
    before, state = _counts(), _state(others)
    o = others
    gets = [f"/invoices/{o['invoice']}", f"/invoices/{o['invoice']}/pdf", f"/invoices/{o['invoice']}/einvoice.xml",
            f"/invoices/{o['invoice']}/request", f"/credit-notes/{o['credit_note']}",
            f"/credit-notes/{o['credit_note']}/pdf", f"/credit-notes/{o['credit_note']}/einvoice.xml",
            f"/orders/{o['order']}", f"/orders/{o['order']}/card?status=paid", f"/receipts/{o['receipt']}",
            f"/receipts/{o['receipt']}/pdf", o["signed_return"], f"/checkout/{o['checkout']}/cancel",
            f"/account/users/{o['user']}/roles",
            # the same identifiers written otherwise: lower case, padded, with a leading zero
            f"/invoices/{o['invoice'].lower()}", f"/invoices/%20{o['invoice']}%20",
            f"/credit-notes/{o['credit_note'].lower()}",
            f"/orders/{o['order'].lower()}", f"/receipts/{o['receipt'].lower()}", f"/account/users/0{o['user']}/roles"]
    posts = [(f"/invoices/{o['invoice']}/request", {"kind": "copy"}),
             (f"/cart/credit-notes/{o['credit_note']}", {}), (f"/cart/credit-notes/{o['credit_note']}/stop", {}),
             (f"/account/users/{o['user']}/roles", {"roles": ["viewer"]}),
             (f"/account/users/{o['user']}/deactivate", {}), (f"/account/users/{o['user']}/reactivate", {}),
             (f"/account/invitations/{o['invitation']}/resend", {}),
             (f"/account/invitations/{o['invitation']}/revoke", {}),
             (f"/cart/lines/{o['line']}/amount", {"amount": "1.00"}),
             (f"/cart/lines/{o['line']}/quantity", {"quantity": "2"}), (f"/cart/lines/{o['line']}/remove", {}),
             ("/cart/invoices", {"invoice": o["invoice"]}),
             ("/cart/invoices/selected", MultiDict([("invoice", "D-001"), ("invoice", o["invoice"])]))]
    leaks = []
    for method, path, body in [("GET", p, None) for p in gets] + [("POST", p, b) for p, b in posts]:
        for htmx in (False, True):
            response = kari.client.open(path, method=method, data=body,
                                        headers={"HX-Request": "true"} if htmx else {})
            page = response.get_data(as_text=True)
            if response.status_code != 404 or "IND-1" in page or "ind1.example" in page:
                leaks.append(f"{method} {path} htmx={htmx} -> {response.status_code}")
    assert not leaks, "another company's identifiers answered other than 404:\n" + "\n".join(leaks)
    cart = kari.client.get("/cart").get_data(as_text=True)
    assert "I-001" not in cart and "D-001" not in cart, "a list naming another company's invoice added nothing"
    assert _counts() == before and _state(others) == state, "another company's data changed"


def test_the_acts_that_end_things_take_garbage_without_5xx(app, world):
    kari = _signed_in(app, "kari")
    for path in ("/cart/lines/1/remove", "/cart/clear", "/account/sign-out-everywhere", "/logout"):
        for body in ({"confirm": "1e309"}, MultiDict([("x", "1"), ("x", "2")]), {}):
            assert kari.client.post(path, data=body).status_code < 500, path


def test_a_huge_body_is_refused_before_it_is_read(app, world):
    kari = _signed_in(app, "kari")
    before = _counts()
    response = kari.client.post("/cart/products", data={"product": "A-100", "quantity": "1" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "more than Settle accepts at once" in response.get_data(as_text=True)
    assert _counts() == before
    assert "Pallet wrap" not in kari.client.get("/cart").get_data(as_text=True)


HEADERS = [{"Accept-Language": "xx;q=abc, *;q=1e309, " + "pl-" * 500}, {"Referer": "http://[::1"},
           {"Referer": "//evil.example/x"}, {"HX-Request": "true", "HX-Current-URL": "http://[bad"},
           {"HX-Request": "garbage", "HX-Boosted": "1", "HX-History-Restore-Request": "x"},
           {"HX-Request": "true", "HX-Target": "x" * 5000}, {"Host": "ÆØÅ.example"},
           {"Content-Type": "multipart/form-data; boundary="},
           {"Content-Type": "application/x-www-form-urlencoded; charset=nope"},
           {"Cookie": "session=garbage; lang=xx; settle_lang=" + "x" * 3000}, {"X-Forwarded-For": "not-an-ip"},
           {"If-Modified-Since": "yesterday"}, {"Range": "bytes=99999999999999999999-"}]


def test_crafted_headers_cookies_and_uploads_never_answer_5xx(app, world):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is answered (and counted), not raised
    kari = _signed_in(app, "kari")
    anonymous = app.test_client()
    failures = Failures()
    paths = ["/invoices", "/cart", "/statement", "/account", "/payments?page=2", "/login", "/invoices/D-001/pdf"]
    for headers in HEADERS:
        for client in (kari.client, anonymous):
            for path in paths:
                failures.check(str(headers)[:60], "GET", path, client.get(path, headers=headers))
            for path, data in (("/cart/products", "product=A-100&quantity=1e309"), ("/language", "lang=pl"),
                               ("/login", "email=x&password=y")):
                failures.check(str(headers)[:60], "POST", path, client.post(path, data=data, headers=headers))
    upload = {"product": (BytesIO(b"\x00" * 100), "a.txt"), "quantity": (BytesIO(b"1"), "q.txt")}
    failures.check("kari", "POST upload", "/cart/products", kari.client.post("/cart/products", data=upload))
    many = "&".join(f"f{i}=1" for i in range(5000))
    form = "application/x-www-form-urlencoded"
    failures.check("kari", "POST many fields", "/cart", kari.client.post("/cart", data=many, content_type=form))
    failures.check("kari", "GET many args", "/invoices", kari.client.get("/invoices?" + many))
    assert not failures, f"{len(failures)} answers were 5xx:\n" + "\n".join(failures[:40])


def test_the_gateway_page_and_its_return_take_garbage_without_5xx_or_payment(app, world):
    from tests.test_checkout import fill_cart

    app.config["PROPAGATE_EXCEPTIONS"] = False
    kari = _signed_in(app, "kari")
    fill_cart(kari.client, {"D-001": None})
    gateway = start_payment(kari.client)
    signed = gateway_result(kari.client, gateway)
    path, query = signed.split("?")
    fields = dict(pair.split("=", 1) for pair in query.split("&"))
    before = _counts()
    failures = Failures()
    for value in VALUES:
        failures.check("kari", "POST", gateway, kari.client.post(gateway, data={"card_number": value}), value)
        for field in fields:  # each field of the signed return changed in turn
            changed = "&".join(f"{k}={value if k == field else v}" for k, v in fields.items())
            failures.check("kari", "GET", f"{path}?{changed}", kari.client.get(f"{path}?{changed}"))
    assert not failures, f"{len(failures)} answers were 5xx:\n" + "\n".join(failures[:40])
    assert _counts() == before, "a tampered return recorded something"


def test_one_bad_field_among_good_ones_is_refused_without_5xx_or_a_write(app, world):
    """A form whose other fields are right reaches the check of the bad one: each field in turn gets each bad
    value (a long text too, for a column with a length)."""
    from models import db
    from models.customer import User

    app.config["PROPAGATE_EXCEPTIONS"] = False
    kari = _signed_in(app, "kari")
    with db.connection_context():
        ola = User.get(User.email == "ola@ret1.example").id
    assert kari.client.post("/cart/products", data={"product": "A-100", "quantity": "1"}).status_code == 303
    version = _order_form(kari.client)["cart_version"]
    today = date.today().isoformat()
    forms = {
        "/cart/products": {"product": "A-100", "quantity": "2"},
        "/orders": {"payment_method": "on_account", "cart_version": version, "buyer_reference": "PO-1",
                    "delivery_address": "Street 1"},
        "/checkout": {"payment_method": "on_account", "cart_version": version},
        "/account/users/invite": {"email": "new{n}@ret1.example", "name": "New Person", "roles": "viewer"},
        f"/account/users/{ola}/roles": {"roles": "viewer"},
        "/account/password": {"current": "test-Passw0rd", "password": "An0ther-Passw0rd!",
                              "repeat": "An0ther-Passw0rd!"},
        "/statement/email": {"as_of": today},
        "/language": {"lang": "nb", "next": "/invoices"},
    }
    long_email = "a" * 250 + "@ret1.example"
    bad = VALUES + [long_email, "x" * 300, "y" * 150]
    before = _counts()
    free_text = {"buyer_reference": 100, "delivery_address": 2000, "name": 200}  # any text up to its length
    failures, wrote, refused_wrote = Failures(), [], []
    for path, form in forms.items():
        for field in form:
            for value in bad:
                good = {k: v.replace("{n}", str(len(wrote))) for k, v in form.items()}  # a new invitation each time
                if path == "/orders":  # the cart again, after an order took it
                    kari.client.post("/cart/products", data={"product": "A-100", "quantity": "1"})
                    good["cart_version"] = _order_form(kari.client)["cart_version"]
                response = kari.client.post(path, data={**good, field: value})
                failures.check("kari", "POST", path, response, {field: value[:30]})
                now = _counts()
                if now != before:
                    wrote.append(f"{path} {field}={value[:30]!r} -> {response.status_code} wrote "
                                 f"{ {k: now[k] - before[k] for k in now if now[k] != before[k]} }")
                    before = now
                    if len(value) > free_text.get(field, -1):
                        refused_wrote.append(wrote[-1])
    assert not failures, f"{len(failures)} answers were 5xx:\n" + "\n".join(failures[:40])
    assert not refused_wrote, "a bad value was taken:\n" + "\n".join(refused_wrote)


def test_a_real_invitation_link_takes_garbage_passwords_without_5xx(app, world, others):
    """The invitation page behind a link that works (its token set here, as the job sets it when it sends)."""
    from models import db
    from models.invitation import Invitation
    from models.passwords import password_problem
    from models.tokens import token_digest

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with db.connection_context():
        Invitation.update(token_digest=token_digest("fuzz-token-0123456789-0123456789-0123456789")).where(
            Invitation.id == others["invitation"]).execute()
    client = app.test_client()
    before = _counts()
    failures = Failures()
    assert client.get("/invitations/fuzz-token-0123456789-0123456789-0123456789").status_code == 200
    refused = [value for value in VALUES if password_problem(value, "new@ind1.example")]  # ("1" + 30 zeros may)
    for value in VALUES:
        bodies = [{"password": "An0ther-Passw0rd!", "repeat": value}] + (
            [{"password": value, "repeat": value}] if value in refused else [])
        for body in bodies:
            failures.check("anonymous", "POST", "/invitations/fuzz-token-0123456789-0123456789-0123456789",
                           client.post("/invitations/fuzz-token-0123456789-0123456789-0123456789", data=body), value[:30])
    assert not failures, f"{len(failures)} answers were 5xx:\n" + "\n".join(failures[:40])
    assert _counts() == before, "a refused password made a user"
