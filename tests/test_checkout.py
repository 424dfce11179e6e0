"""Checkout on SQLite and PostgreSQL: card only, the test gateway, recording once, refusing the late payer.

World (tests/world.py): D-001 1250.00 NOK inside its 2 % discount window (pay 1225.00, save 25.00),
D-004 has 1000.00 left, R1-001 1250.00 without discount. kari and ola are two users of RET-1;
sara (RET-2) also sees D-*; anna (IND-1) sees none of them.
"""
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.world import USERS
from models.signed_in import signed_in_user

APPROVE, DECLINE = "4242 4242 4242 4242", "4000 0000 0000 0002"


def db_state(numbers):
    """{number: (balance, status, [(amount, discount, method)])} read fresh from the database."""
    from models import db
    from models.invoice import Invoice, Payment

    with db.connection_context():
        state = {}
        for number in numbers:
            invoice = Invoice.get(Invoice.number == number)
            payments = [(p.amount, p.discount, p.method) for p in
                        Payment.select().where(Payment.invoice == invoice, Payment.method != "imported")
                        .order_by(Payment.id)]
            state[number] = (invoice.balance, invoice.status, payments)
        return state


def counts():
    from models import db
    from models.cart import CartLine
    from models.checkout import Checkout
    from models.invoice import Payment

    with db.connection_context():
        return {"payments": Payment.select().where(Payment.method != "imported").count(),
                "checkouts": Checkout.select().count(), "cart_lines": CartLine.select().count()}


def fill_cart(client, amounts: dict):
    """Put invoices in the signed-in user's cart with the given amounts (None: the default)."""
    from models import db
    from models.cart import CartLine
    from models.invoice import Invoice

    for number in amounts:
        assert client.post("/cart/invoices", data={"invoice": number}).status_code == 303
    with db.connection_context():
        # The newest line of each invoice: this client's, just added (a colleague may have the same invoice).
        ids = {line.invoice.number: line.id
               for line in CartLine.select(CartLine, Invoice).join(Invoice).order_by(CartLine.id)}
    form = {f"amount-{ids[n]}": a for n, a in amounts.items() if a is not None}
    response = client.post("/cart", data={**form, "action": "checkout"})
    assert response.status_code == 303, response.get_data(as_text=True)


def start_payment(client):
    """Pay now; returns the gateway page's path."""
    response = client.post("/checkout", data={"payment_method": "card"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].startswith("/gateway/test/")
    return response.headers["Location"]


def gateway_result(client, gateway_path, card=APPROVE):
    """Type a card on the gateway's page; returns the signed return URL (path and query)."""
    response = client.post(gateway_path, data={"card_number": card})
    assert response.status_code == 303
    parts = urlsplit(response.headers["Location"])
    return parts.path + "?" + parts.query


def pay(client, amounts, card=APPROVE):
    fill_cart(client, amounts)
    return client.get(gateway_result(client, start_payment(client), card))


# ------------------------------------------------------------------------- methods


def test_checkout_page_offers_card_only_for_invoices(world, client, auth):
    auth.login("kari")
    fill_cart(client, {"D-001": None})
    html = client.get("/checkout").get_data(as_text=True)
    assert "Payment method" in html and 'role="radiogroup"' in html
    assert 'value="card"' in html and "Pay now" in html
    assert "on_account" not in html and "On account</label>" not in html and "Place order" not in html


@pytest.mark.parametrize("method, message", [
    ("on_account", "cannot be paid on account"), ("cash", "Choose a payment method"), ("", "Choose a payment method"),
])
def test_only_card_may_pay_invoices_and_a_crafted_method_records_nothing(world, client, auth, method, message):
    auth.login("kari")
    fill_cart(client, {"D-001": None})
    before = counts()
    response = client.post("/checkout", data={"payment_method": method})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert counts() == before
    assert db_state(["D-001"])["D-001"][0] == Decimal("1250.00")


def test_on_account_refused_in_the_model(app, world):
    from models import db
    from models.cart import Cart
    from models.checkout import Checkout, CheckoutError, start
    from models.customer import User
    from models.invoice import Invoice

    with app.test_request_context():
        db.connect(reuse_if_open=True)
        kari = signed_in_user(User.get(User.email == USERS["kari"][0]).id)
        cart = Cart.for_user(kari)
        cart.add_invoice(Invoice.get(Invoice.number == "D-001"), kari)
        with pytest.raises(CheckoutError) as refused:
            start(kari, cart, "on_account")
        assert refused.value.code == "on_account"
        assert Checkout.select().count() == 0
        db.close()


def test_product_cart_checkout_offers_on_account_and_card_and_posts_to_orders(world, client, auth):
    auth.login("kari")
    client.post("/cart/products", data={"product": "A-100", "quantity": "2"})
    html = client.get("/checkout").get_data(as_text=True)
    assert 'value="on_account"' in html and 'value="card"' in html and "Place order" in html
    assert "Pay now" not in html
    assert 'action="/orders"' in html
    assert client.post("/checkout", data={"payment_method": "card"}).status_code == 422


# ------------------------------------------------------------------------- paying


def test_partial_payment_through_the_test_gateway(world, client, auth):
    auth.login("kari")
    response = pay(client, {"D-004": "400,50"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/receipts/TEST-")
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Payment received" in receipt and "D-004" in receipt and "NOK\u00a0400.50" in receipt
    balance, status, payments = db_state(["D-004"])["D-004"]
    assert balance == Decimal("599.50") and status == "partial"
    assert payments == [(Decimal("400.50"), Decimal("0.00"), "card")]
    assert counts()["cart_lines"] == 0
    page = client.get("/invoices").get_data(as_text=True)
    assert "NOK\u00a0599.50" in page and "Cart <span class=\"count\">(0)</span>" in page


def test_full_payment_in_the_window_takes_the_discount(world, client, auth):
    from models import db
    from models.invoice import Payment

    auth.login("kari")
    response = pay(client, {"D-001": None, "R1-001": None})
    receipt_url = response.headers["Location"]
    assert db_state(["D-001"])["D-001"] == (Decimal("0.00"), "paid", [(Decimal("1225.00"), Decimal("25.00"), "card")])
    assert db_state(["R1-001"])["R1-001"] == (Decimal("0.00"), "paid", [(Decimal("1250.00"), Decimal("0.00"), "card")])
    with db.connection_context():
        payment = Payment.get(Payment.method == "card")
        assert payment.user.email == USERS["kari"][0]
        assert payment.gateway_reference == receipt_url.rsplit("/", 1)[1]
        assert payment.created_at is not None
    receipt = client.get(receipt_url).get_data(as_text=True)
    assert "NOK\u00a01,225.00" in receipt and "NOK\u00a025.00" in receipt and "NOK\u00a02,475.00" in receipt
    # The invoice page links its card payment to the receipt.
    detail = client.get("/invoices/D-001").get_data(as_text=True)
    assert f'href="{receipt_url}"' in detail and "Pay invoice" not in detail


def test_partial_payment_in_the_window_takes_no_discount(world, client, auth):
    auth.login("kari")
    pay(client, {"D-001": "1000"})
    assert db_state(["D-001"])["D-001"] == (Decimal("250.00"), "partial", [(Decimal("1000.00"), Decimal("0.00"), "card")])


def test_declined_card_records_nothing_and_keeps_the_cart(world, client, auth):
    auth.login("kari")
    fill_cart(client, {"D-004": "300"})
    before = counts()
    response = client.get(gateway_result(client, start_payment(client), DECLINE))
    assert response.status_code == 303 and response.headers["Location"] == "/checkout"
    page = client.get("/checkout").get_data(as_text=True)
    assert "declined" in page and "Pay now" in page
    after = counts()
    assert after["payments"] == before["payments"] and after["cart_lines"] == 1
    assert db_state(["D-004"])["D-004"][0] == Decimal("1000.00")
    # Trying again with a good card works.
    client.get(gateway_result(client, start_payment(client), APPROVE))
    assert db_state(["D-004"])["D-004"][0] == Decimal("700.00")


def test_abandoned_payment_records_nothing(world, client, auth):
    auth.login("kari")
    fill_cart(client, {"D-004": None})
    gateway = start_payment(client)
    page = client.get(gateway).get_data(as_text=True)
    assert "Card number" in page and "NOK\u00a01,000.00" in page
    cancel = page.split('href="')[-1].split('"')[0].replace("&amp;", "&")
    response = client.get(urlsplit(cancel).path)
    assert response.status_code == 303
    assert "cancelled" in client.get("/checkout").get_data(as_text=True)
    assert counts()["payments"] == 0 and counts()["cart_lines"] == 1


def test_the_gateway_page_never_passes_the_card_number_on(world, client, auth):
    auth.login("kari")
    fill_cart(client, {"D-004": None})
    gateway = start_payment(client)
    location = client.post(gateway, data={"card_number": APPROVE}).headers["Location"]
    assert "4242" not in location
    wrong = client.post(gateway, data={"card_number": "5555 5555 5555 4444"})
    assert wrong.status_code == 422 and "test cards" in wrong.get_data(as_text=True)
    empty = client.post(gateway, data={"card_number": ""})
    assert empty.status_code == 422 and "Enter the card number" in empty.get_data(as_text=True)
    assert client.get("/gateway/test/forged-token").status_code == 404


# ------------------------------------------------------------------------- never twice, never too much


def test_replayed_return_records_once(world, client, auth):
    auth.login("kari")
    fill_cart(client, {"D-004": "100"})
    back = gateway_result(client, start_payment(client))
    first = client.get(back)
    for _ in range(3):
        again = client.get(back)
        assert again.headers["Location"] == first.headers["Location"]
    assert db_state(["D-004"])["D-004"][2] == [(Decimal("100.00"), Decimal("0.00"), "card")]


def test_double_click_on_pay_now_pays_once(world, client, auth):
    auth.login("kari")
    fill_cart(client, {"D-004": "100"})
    first, second = start_payment(client), start_payment(client)
    back_first = gateway_result(client, first)
    back_second = gateway_result(client, second)
    assert client.get(back_second).headers["Location"].startswith("/receipts/")
    refused = client.get(back_first)
    assert refused.headers["Location"] == "/cart"
    assert "not charged" in client.get("/cart").get_data(as_text=True)
    assert db_state(["D-004"])["D-004"][2] == [(Decimal("100.00"), Decimal("0.00"), "card")]


@pytest.mark.parametrize("change", [
    {"signature": "0" * 64}, {"amount": "1.00"}, {"status": "approved", "signature": ""}, {"payment_id": "TEST-OTHER"},
    {"signature": "💶" * 64},  # not even ASCII: refused like any wrong signature, not a 500
])
def test_tampered_result_records_nothing(world, client, auth, change):
    auth.login("kari")
    fill_cart(client, {"D-004": "100"})
    back = gateway_result(client, start_payment(client), DECLINE)
    path, query = back.split("?")
    args = {k: v[0] for k, v in parse_qs(query).items()}
    args.update({"status": "approved", **change})
    response = client.get(path + "?" + urlencode(args))
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert "could not be verified" in client.get("/cart").get_data(as_text=True)
    assert counts()["payments"] == 0 and counts()["cart_lines"] == 1


def test_two_colleagues_paying_the_same_invoice_the_late_one_is_refused(app, world):
    from tests.conftest import Auth

    kari, ola = app.test_client(), app.test_client()
    Auth(kari).login("kari")
    Auth(ola).login("ola")
    fill_cart(kari, {"D-001": None})
    fill_cart(ola, {"D-001": None})
    kari_back = gateway_result(kari, start_payment(kari))
    ola_back = gateway_result(ola, start_payment(ola))
    assert kari.get(kari_back).headers["Location"].startswith("/receipts/")
    late = ola.get(ola_back)
    assert late.headers["Location"] == "/cart"
    message = ola.get("/cart").get_data(as_text=True)
    assert "paid in full by someone else" in message and "Nothing was charged" in message
    balance, status, payments = db_state(["D-001"])["D-001"]
    assert (balance, status, len(payments)) == (Decimal("0.00"), "paid", 1)
    # The late payer's cart is as it was, and checkout now says why it cannot go on.
    assert counts()["cart_lines"] == 1
    assert ola.get("/checkout").headers["Location"] == "/cart"


def test_two_partial_payments_that_together_exceed_the_balance(app, world):
    from tests.conftest import Auth

    kari, ola = app.test_client(), app.test_client()
    Auth(kari).login("kari")
    Auth(ola).login("ola")
    fill_cart(kari, {"D-004": "800"})
    fill_cart(ola, {"D-004": "800"})
    kari_back, ola_back = gateway_result(kari, start_payment(kari)), gateway_result(ola, start_payment(ola))
    ola.get(ola_back)
    kari.get(kari_back)
    assert "has just changed to NOK\u00a0200.00" in kari.get("/cart").get_data(as_text=True)
    balance, status, payments = db_state(["D-004"])["D-004"]
    assert balance == Decimal("200.00") and [p[0] for p in payments] == [Decimal("800.00")]


def test_a_return_for_someone_elses_checkout_answers_404(app, world):
    from tests.conftest import Auth

    kari, ola = app.test_client(), app.test_client()
    Auth(kari).login("kari")
    Auth(ola).login("ola")
    fill_cart(kari, {"D-004": "100"})
    back = gateway_result(kari, start_payment(kari))
    assert ola.get(back).status_code == 404
    assert counts()["payments"] == 0


# ------------------------------------------------------------------------- receipt


def test_receipt_shows_only_what_the_viewer_may_see(app, world):
    from tests.conftest import Auth

    kari = app.test_client()
    Auth(kari).login("kari")
    receipt = pay(kari, {"D-004": "50", "R1-001": "60"}).headers["Location"]
    html = kari.get(receipt).get_data(as_text=True)
    assert "D-004" in html and "R1-001" in html
    sara = app.test_client()
    Auth(sara).login("sara")  # RET-2 sees DIST-1's D-004 but not RET-1's R1-001
    html = sara.get(receipt).get_data(as_text=True)
    assert "D-004" in html and "R1-001" not in html and "NOK\u00a060.00" not in html
    anna = app.test_client()
    Auth(anna).login("anna")
    assert anna.get(receipt).status_code == 404
    assert kari.get("/receipts/TEST-NOSUCHTHING").status_code == 404


# ------------------------------------------------------------------------- cost


def test_recording_a_checkout_costs_few_queries(app, world, count_queries):
    """Recording: lock checkout, cart, invoices; insert payments; one update per invoice; empty the cart."""
    from models import db
    from models.cart import Cart
    from models.checkout import complete, start
    from models.customer import User
    from services.gateway import get_gateway
    from models.invoice import Invoice

    measured = {}
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        kari = signed_in_user(User.get(User.email == USERS["kari"][0]).id)
        for numbers in (["D-004"], ["D-001", "D-002", "R1-001"]):
            cart = Cart.for_user(kari)
            for number in numbers:
                cart.add_invoice(Invoice.get(Invoice.number == number), kari)
                cart = Cart.for_user(kari)
            checkout = start(kari, cart, "card")
            gateway = get_gateway()
            session = gateway.session(gateway.create_payment(checkout.total, "NOK", checkout.reference, "/r", "/c")
                                      .rsplit("/", 1)[1])
            back = gateway.result_url(session, "approved")
            result = gateway.verify_return({k: v[0] for k, v in parse_qs(urlsplit(back).query).items()})
            del count_queries.statements[:]
            assert complete(kari, checkout.reference, result).paid
            measured[len(numbers)] = len(count_queries)
        db.close()
    print(f"\nrecording a checkout: {measured} statements (by number of invoices)")
    assert measured[1] <= 12
    assert measured[3] - measured[1] == 2, "one UPDATE per invoice; payments inserted in one statement"


def test_without_a_gateway_card_payments_are_off_and_nothing_starts(sqlite_url, tmp_path):
    from models import db
    from models.importer import import_data
    from tests.conftest import Auth, make_app
    from tests.world import world_payload

    application = make_app(sqlite_url, tmp_path, PAYMENT_GATEWAY="")
    with application.app_context(), db.connection_context():
        import_data(world_payload())
    client = application.test_client()
    Auth(client).login("kari")
    fill_cart(client, {"D-004": None})
    page = client.get("/checkout").get_data(as_text=True)
    assert "Card payments are not available" in page and "disabled" in page
    response = client.post("/checkout", data={"payment_method": "card"})
    assert response.status_code == 503 and "Nothing was charged" in response.get_data(as_text=True)
    assert counts()["checkouts"] == 0 and counts()["cart_lines"] == 1
    assert client.get("/gateway/test/anything").status_code == 404


# ------------------------------------------------------------------------- two windows, Back after paying


def test_a_second_window_is_told_the_cart_was_paid_in_the_first_with_the_receipt(world, client, auth):
    auth.login("kari")
    fill_cart(client, {"D-004": "100"})
    checkout_page = client.get("/checkout").get_data(as_text=True)  # both windows show the checkout page
    version = checkout_page.split('name="cart_version" value="')[1].split('"')[0]
    first, second = start_payment(client), start_payment(client)
    receipt = client.get(gateway_result(client, first)).headers["Location"]
    assert receipt.startswith("/receipts/")
    # The second window's card form was already open: its payment is not recorded, and it is told why.
    refused = client.get(gateway_result(client, second))
    assert refused.headers["Location"] == "/cart"
    page = client.get("/cart").get_data(as_text=True)
    assert "This cart was already paid in another window — see the receipt." in page
    assert f'<a href="{receipt}">' in page
    assert "Your cart changed after this payment was started" not in page
    # A window still showing the checkout page presses Pay now: no new payment starts, the same message.
    before = counts()
    again = client.post("/checkout", data={"payment_method": "card", "cart_version": version})
    assert again.status_code == 303 and again.headers["Location"] == "/cart"
    page = client.get("/cart").get_data(as_text=True)
    assert "already paid in another window" in page and f'<a href="{receipt}">' in page
    assert counts() == before
    assert db_state(["D-004"])["D-004"][2] == [(Decimal("100.00"), Decimal("0.00"), "card")]


def test_a_cart_changed_by_the_buyer_still_says_so(world, client, auth):
    auth.login("kari")
    fill_cart(client, {"D-004": "100"})
    gateway = start_payment(client)
    fill_cart(client, {"D-001": None})  # the buyer changed the cart in another window and did not pay
    client.get(gateway_result(client, gateway))
    assert "Your cart changed after this payment was started" in client.get("/cart").get_data(as_text=True)


def test_back_from_the_receipt_never_shows_the_card_form_again(world, client, auth):
    auth.login("kari")
    fill_cart(client, {"D-004": "100"})
    assert client.get("/checkout").headers["Cache-Control"] == "no-store"
    gateway = start_payment(client)
    form = client.get(gateway)
    assert form.headers["Cache-Control"] == "no-store" and "Card number" in form.get_data(as_text=True)
    receipt = client.get(gateway_result(client, gateway)).headers["Location"]
    back = client.get(gateway)  # Back: not kept by the browser, so asked again
    page = back.get_data(as_text=True)
    assert back.status_code == 200 and back.headers["Cache-Control"] == "no-store"
    assert "Card number" not in page and "Payment complete" in page and "already complete" in page
    link = page.split('class="button button-primary" href="')[1].split('"')[0].replace("&amp;", "&")
    followed = client.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert followed.headers["Location"] == receipt, "the way back leads to the same receipt"
    # Typing a card again changes nothing either.
    assert client.post(gateway, data={"card_number": APPROVE}).status_code == 200
    assert db_state(["D-004"])["D-004"][2] == [(Decimal("100.00"), Decimal("0.00"), "card")]
