"""Bad bytes in a request never give a 5xx, on either database: NUL and other control characters in the path
answer 404 like any unknown address, in a query or form value 422 with a clear message, and nothing changes.

One guard does it for every route (views/input_guard.py). PostgreSQL refuses NUL in a string literal
("A string literal cannot contain NUL"), SQLite does not: so these run on both.
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.both_databases


@pytest.mark.parametrize("path", ["/receipts/%00", "/orders/SO-%00", "/checkout/PAY-%00/cancel",
                                  "/invoices/D-%00", "/invoices/D-001%00/pdf", "/credit-notes/%01",
                                  "/receipts/%1b/pdf"])
def test_a_control_character_in_the_path_is_not_found(world, auth, path):
    auth.login("kari")
    response = auth.client.get(path)
    assert response.status_code == 404
    assert "There is nothing here" in response.get_data(as_text=True)


def test_a_nul_in_the_sign_in_email_is_refused_with_a_message(world, client):
    response = client.post("/login", data={"email": "kari@ret1.example\x00", "password": "x"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "characters that cannot be used" in page
    assert client.get("/invoices").status_code == 302, "not signed in"


def test_a_nul_in_a_product_code_is_refused_and_the_cart_unchanged(world, auth):
    auth.login("kari")
    response = auth.client.post("/cart/products", data={"product": "A-1\x0000", "quantity": "1"})
    assert response.status_code == 422
    assert "characters that cannot be used" in response.get_data(as_text=True)
    assert "A-100" not in auth.client.get("/cart").get_data(as_text=True)


def test_a_nul_in_htmx_form_comes_back_as_a_message(world, auth):
    auth.login("kari")
    response = auth.client.post("/cart/invoices", data={"invoice": "D-001\x00"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert response.headers.get("HX-Retarget") == "#messages"
    assert "characters that cannot be used" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["q=%00", "status=%00", "order_account=RET%00", "from=2026-01-01%00",
                                   "sort=%07", "page=1%00", "after=%00"])
def test_a_control_character_in_a_filter_is_refused(world, auth, query):
    auth.login("kari")
    response = auth.client.get(f"/invoices?{query}")
    assert response.status_code == 422
    assert "characters that cannot be used" in response.get_data(as_text=True)


def test_a_control_character_in_a_query_key_or_another_page(world, auth):
    auth.login("kari")
    assert auth.client.get("/invoices?%00=1").status_code == 422
    assert auth.client.get("/payments?from=%00").status_code == 422
    assert auth.client.get("/statement?on=%00").status_code == 422
    assert auth.client.get("/invoices/export.csv?q=%00").status_code == 422


def test_tab_and_newline_stay_allowed_in_a_form_but_not_other_controls(world, auth):
    """Tab, CR and LF are what a text area sends; they pass the guard (the form judges them)."""
    auth.login("kari")
    response = auth.client.post("/cart/invoices", data={"invoice": "D-001\r\n\t"})
    assert response.status_code == 303
    response = auth.client.post("/cart/invoices", data={"invoice": "D-002\x0b"})
    assert response.status_code == 422


def test_the_api_gets_the_refusal_as_json_naming_the_field(world, client):
    response = client.get("/api/v1/payments?after=%00&limit=10")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "control_characters"
    assert response.json["error"]["field"] == "after"


def test_a_return_address_that_is_not_a_url_is_ignored(world, client, auth):
    """A Referer, HX-Current-URL or `next` that urlsplit cannot read (an unclosed IPv6 "[") leads home, not to
    a 500 (views/responses.py: split_url)."""
    assert client.get("/login?next=//[x").status_code == 200
    signed_out = client.get("/cart", headers={"HX-Request": "true", "HX-Current-URL": "http://[bad"})
    assert signed_out.headers["HX-Redirect"] == "/login"
    response = client.post("/login", data={"email": "kari@ret1.example", "password": "test-Passw0rd",
                                           "next": "http://[::1"})
    assert response.status_code == 303 and response.headers["Location"] == "/invoices"
    added = client.post("/cart/invoices", data={"invoice": "D-001"}, headers={"Referer": "http://[::1"})
    assert added.status_code == 303 and added.headers["Location"] == "/cart"
