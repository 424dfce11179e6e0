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
