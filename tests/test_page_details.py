"""Small things a user notices: the receipt heading's exact name, the search box's example, the request page's URL."""
import re


def test_the_receipt_heading_is_exactly_payment_received(world, client, auth):
    from tests.test_checkout import pay

    auth.login("kari")
    receipt = pay(client, {"D-004": "100"}).headers["Location"]
    page = client.get(receipt).get_data(as_text=True)
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    # What assistive technology reads: everything but aria-hidden markup (and no CSS-generated glyph either).
    spoken = re.sub(r'<span[^>]*aria-hidden="true"[^>]*>.*?</span>', "", heading).strip()
    assert spoken == "Payment received"
    css = open("static/settle.css", encoding="utf-8").read()
    assert not re.search(r"receipt[^{]*::?before\s*{[^}]*content", css), "no generated glyph inside the heading"


def test_the_search_box_offers_no_one_elses_invoice_number(world, client, auth):
    auth.login("anna")
    page = client.get("/invoices").get_data(as_text=True)
    placeholder = re.search(r'<input id="q"[^>]*placeholder="([^"]*)"', page).group(1)
    assert "INV-" not in placeholder and placeholder == "Number, order account or amount"


def test_request_invoice_without_javascript_reaches_a_page_whose_url_has_no_stray_question_mark(world, client, auth):
    auth.login("kari")
    for origin, page_url, cancel in [("list", "/invoices", "/invoices"), ("invoice", "/invoices/D-001",
                                                                         "/invoices/D-001")]:
        page = client.get(page_url).get_data(as_text=True)
        form = re.search(r'<form id="row-request" method="get"[^>]*>(.*?)</form>', page, re.S).group(1)
        # The browser submits the form's fields: with none it would go to ".../request?".
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        assert fields == {"from": origin}
        request_page = client.get("/invoices/D-001/request", query_string=fields)
        html = request_page.get_data(as_text=True)
        assert request_page.status_code == 200 and "Send request" in html
        assert f'<a class="button button-secondary" href="{cancel}">Cancel</a>' in html


def _requested_at(moment, who="kari"):
    from models import db
    from models.customer import User
    from models.request import B2BRequest
    from tests.world import USERS

    with db.connection_context():
        user = User.get(User.email == USERS[who][0])
        B2BRequest.update(requested_at=moment).where(B2BRequest.user == user.id).execute()


def test_my_account_shows_times_in_the_customers_zone_with_the_zone(world, app, client, auth):
    from datetime import datetime

    auth.login("kari")
    client.post("/invoices/D-004/request")
    _requested_at(datetime(2026, 11, 30, 7, 31))
    assert "Nov 30, 2026, 8:31\u202fAM CET" in client.get("/account").get_data(as_text=True).replace(" AM", "\u202fAM")
    client.post("/language", data={"lang": "nb"})
    assert "30. nov. 2026, 08:31 CET" in client.get("/account").get_data(as_text=True)
    _requested_at(datetime(2026, 7, 30, 7, 31))  # summer time
    assert "30. juli 2026, 09:31 CEST" in client.get("/account").get_data(as_text=True)
    # A customer in a country without its own zone: SETTLE_TIME_ZONE.
    from models import db
    from models.customer import Customer

    with db.connection_context():
        Customer.update(country="GB").where(Customer.account == "RET-1").execute()
    app.config["SETTLE_TIME_ZONE"] = "UTC"
    auth.logout()
    auth.login("kari")
    assert "30. juli 2026, 07:31 UTC" in client.get("/account").get_data(as_text=True)


def test_a_polish_customer_reads_warsaw_time(world, app, client, auth):
    from datetime import datetime

    auth.login("anna")
    client.post("/language", data={"lang": "pl"})
    client.post("/invoices/I-001/request")
    _requested_at(datetime(2026, 11, 30, 23, 30), "anna")
    page = client.get("/account").get_data(as_text=True)
    assert "1 gru 2026, 00:30 CET" in page


def test_one_date_style_on_the_list_and_no_double_period_in_the_lede(world, app, client, auth, clock):
    from flask_babel import force_locale

    from i18n.formatting import day

    auth.login("nina")  # DIST-1 gives 2 % for paying within 10 days: the list shows the offer's last day
    page = client.get("/invoices").get_data(as_text=True)
    offers = re.findall(r'<span class="badge badge-offer" title="([^"]*)">', page)
    badges = re.findall(r'<span class="badge badge-offer"[^>]*><span aria-hidden="true">([^<]*)</span>', page)
    assert offers and len(badges) == len(offers)
    for badge in badges:  # the compact badge: medium's order without the year ("Dec 7"), never "7 Dec"
        assert re.search(r"until [A-Z][a-z]{2} \d{1,2}$", badge), badge
    with app.test_request_context(), force_locale("en"):
        medium = re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4}")
    for offer in offers:
        assert medium.search(offer), f"the offer's date is Babel's medium style: {offer!r}"
    assert not re.search(r"\bby \d{1,2} [A-Z][a-z]{2}\b", page)
    from models import db
    from models.customer import Customer

    with db.connection_context():
        Customer.update(name="Hurtownia Wisła Sp. z o.o.").where(Customer.account == "IND-1").execute()
    auth.logout()
    auth.login("anna")
    for language in ("pl", "nb", "en"):
        client.post("/language", data={"lang": language})
        for path in ("/invoices", "/products"):
            text = re.sub(r"<[^>]+>", " ", client.get(path).get_data(as_text=True))
            assert "Sp. z o.o." in text
            assert not re.search(r"(?<!\.)\.\.(?!\.)", text), (language, path)
