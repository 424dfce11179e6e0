"""The look (issue 16) as the HTML carries it: logo and favicon, the list's compact badges, labelled scroll regions.

How it fits on screen is tried in a browser (tests/e2e/test_layout.py); these check what a page must say for it.
"""
import re

from flask_babel import force_locale

from i18n import labels


def test_every_page_links_an_svg_favicon_that_is_served(world, client, auth):
    for path in ("/login", "/invoices"):
        if path == "/invoices":
            auth.login("kari")
        html = client.get(path).get_data(as_text=True)
        icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
        assert icon, f"{path} links no favicon"
        response = client.get(icon.group(1))
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert b"<svg" in response.get_data()


def test_the_logo_is_an_svg_hidden_from_assistive_technology_and_the_link_keeps_its_name(world, client, auth):
    auth.login("kari")
    html = client.get("/invoices").get_data(as_text=True)
    brand = re.search(r'<a class="brand" href="/" aria-label="Settle, home">(.*?)</a>', html, re.S)
    assert brand, "the home link must keep its name"
    assert re.search(r'<svg class="brand-mark" aria-hidden="true" focusable="false"', brand.group(1))
    assert "◆" not in html


def test_a_rows_discount_and_overdue_marks_are_compact_badges_with_the_whole_text_for_screen_readers(
        world, client, auth):
    auth.login("kari")
    # D-001: 1,250.00 issued 3 days ago, 2 % for 10 days: pay 1,225.00 by the day 7 days from now, save 25.00.
    row = client.get("/invoices", query_string={"q": "D-001"}).get_data(as_text=True)
    badge = re.search(r'<span class="badge badge-offer" title="([^"]+)"><span aria-hidden="true">([^<]+)</span>'
                      r'<span class="visually-hidden">([^<]+)</span></span>', row)
    assert badge, "D-001's open cash discount is a badge"
    tooltip, shown, spoken = badge.groups()
    assert re.fullmatch(r"−2\s?% until [A-Z][a-z]{2} \d{1,2}", shown), shown  # medium's order, without the year
    assert re.fullmatch(r"Pay NOK\s?1,225.00 by .*, save NOK\s?25.00", spoken) and tooltip == spoken
    # D-002: due 10 days ago.
    row = client.get("/invoices", query_string={"q": "D-002"}).get_data(as_text=True)
    assert re.search(r'<span class="badge badge-overdue" title="10 days overdue"><span aria-hidden="true">\+10 d</span>'
                     r'<span class="visually-hidden">10 days overdue</span></span>', row)


def test_the_badges_speak_each_language(app):
    with app.test_request_context():
        for language, late, offer in (("nb", "+\x01 d", "−\x01 til \x02"), ("pl", "+\x01 dn.", "−\x01 do \x02")):
            texts = labels.list_texts(language)
            assert texts["late"] == late and texts["offer_badge"] == offer
        with force_locale("en"):
            assert labels.list_texts("en")["offer_badge"] == "−\x01 until \x02"


def test_tables_that_may_scroll_are_labelled_focusable_regions(world, client, auth):
    auth.login("kari")
    for path in ("/invoices", "/invoices?status=credit_notes", "/invoices/D-001", "/account", "/payments",
                 "/statement"):
        html = client.get(path).get_data(as_text=True)
        wraps = re.findall(r'<div class="table-wrap"[^>]*>', html)
        for wrap in wraps:
            assert 'tabindex="0"' in wrap and 'role="region"' in wrap, f"{path}: {wrap}"
            label = re.search(r'aria-labelledby="([^"]+)"', wrap)
            assert label or "aria-label=" in wrap, f"{path}: {wrap} has no name"
            if label:
                assert f'id="{label.group(1)}"' in html, f"{path}: {wrap} names a missing element"
