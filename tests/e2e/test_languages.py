"""Norsk and Polski in a real browser (issue 7): switch, filter, pay, and the choice sticks after signing in again.

The language is kept on the user, so these tests run on a server of their own: the shared live server's
users stay English for everybody else's tests.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.e2e.conftest import DEMO_PASSWORD, assert_accessible, fresh_pages, screenshot
from tests.test_i18n import compile_catalogs


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    compile_catalogs()
    live = LiveServer.with_demo_data(tmp_path_factory.mktemp("languages"))
    yield live
    live.stop()


@pytest.fixture
def new_browser(browser, server):
    """A fresh browser profile (no cookies) with an English Accept-Language, as many times as asked."""
    with fresh_pages(browser, server.url) as open_page:
        yield open_page


def sign_in(page, email, *, email_label="Email", password_label="Password", button="Sign in"):
    page.get_by_label(email_label).fill(email)
    page.get_by_label(password_label).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/invoices**")


def statuses(page):
    return page.locator("table.invoices tbody tr td .status")


def pay_first_unpaid_invoice(page, words, amount_typed, amount_shown):
    """Pay invoice on the list, part of it in the cart typed with a decimal comma, card on the gateway, receipt."""
    payable = page.locator("table.invoices tbody tr").filter(has=page.get_by_role("button", name=words["pay_invoice"]))
    number = payable.first.locator("th a").inner_text()
    row = page.locator("table.invoices tbody tr").filter(has=page.get_by_role("link", name=number, exact=True))
    row.get_by_role("button", name=words["pay_invoice"]).click()
    expect(row.get_by_role("button", name=words["in_cart"])).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(rf"^{words['cart']}"))).to_contain_text("(1)")
    page.get_by_role("link", name=re.compile(rf"^{words['cart']}")).click()
    expect(page.get_by_role("heading", name=words["cart"], level=1)).to_be_visible()
    page.get_by_label(words["amount_for"].format(number)).fill(amount_typed)
    page.get_by_role("button", name=words["check_out"]).click()
    expect(page.get_by_role("radiogroup", name=words["payment_method"])).to_be_visible()
    page.get_by_role("radio", name=words["card"]).check()
    page.get_by_role("button", name=words["pay_now"]).click()
    page.get_by_label(words["card_number"]).fill("4242 4242 4242 4242")
    page.get_by_role("button", name=words["pay"], exact=True).click()
    expect(page.get_by_role("heading", name=words["payment_received"], level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(number)
    expect(page.get_by_role("main")).to_contain_text(re.compile(amount_shown))
    return number


NORSK = {"pay_invoice": "Betal faktura", "in_cart": "I handlekurven", "cart": "Handlekurv",
         "amount_for": "Beløp å betale for {}", "check_out": "Gå til kassen", "payment_method": "Betalingsmåte",
         "card": "Kort", "pay_now": "Betal nå", "card_number": "Kortnummer", "pay": "Betal",
         "payment_received": "Betaling mottatt"}
POLSKI = {"pay_invoice": "Zapłać fakturę", "in_cart": "W koszyku", "cart": "Koszyk",
          "amount_for": "Kwota do zapłaty za {}", "check_out": "Przejdź do kasy", "payment_method": "Metoda płatności",
          "card": "Karta", "pay_now": "Zapłać teraz", "card_number": "Numer karty", "pay": "Zapłać",
          "payment_received": "Płatność otrzymana"}


def test_norsk_switch_filter_and_it_sticks_after_signing_in_again(new_browser):
    page = new_browser()
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name="Norsk").click()  # before signing in: kept in a cookie
    expect(page.get_by_role("heading", name="Logg inn")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    sign_in(page, "kari@fjordbutikken.example", email_label="E-post", password_label="Passord", button="Logg inn")

    expect(page.get_by_role("heading", name="Fakturaer", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Min konto")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Handlekurv"))).to_be_visible()
    page.get_by_label("Status").select_option(label="Ubetalt")
    expect(page).to_have_url(re.compile(r"status=unpaid"))
    expect(statuses(page).first).to_have_text("Ubetalt")
    assert set(statuses(page).all_inner_texts()) == {"Ubetalt"}
    expect(page.locator("table.invoices tbody td.num").first).to_contain_text(re.compile(r"\d,\d\d\s?kr"))
    assert_accessible(page, "invoice list in Norwegian")
    screenshot(page, "languages-nb-invoices")
    pay_first_unpaid_invoice(page, NORSK, "10,50", r"10,50\s?kr")
    assert_accessible(page, "receipt in Norwegian")

    page.get_by_role("button", name="Logg ut").click()
    expect(page.get_by_role("heading", name="Logg inn")).to_be_visible()  # signed out: still Norwegian

    elsewhere = new_browser()  # another browser, English by default: the choice is on the user
    elsewhere.goto("/login")
    expect(elsewhere.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(elsewhere, "kari@fjordbutikken.example")
    expect(elsewhere.get_by_role("heading", name="Fakturaer", level=1)).to_be_visible()
    expect(elsewhere.locator("html")).to_have_attribute("lang", "nb")

    elsewhere.get_by_role("button", name="English").click()
    expect(elsewhere.get_by_role("heading", name="Invoices", level=1)).to_be_visible()
    expect(elsewhere.get_by_role("link", name="My account")).to_be_visible()


def test_polski_switch_filter_and_it_sticks_after_signing_in_again(new_browser):
    page = new_browser()
    page.goto("/login")
    sign_in(page, "anna@wisla.example")
    expect(page.get_by_role("heading", name="Invoices", level=1)).to_be_visible()

    page.get_by_role("button", name="Polski").click()  # signed in: kept on the user
    expect(page.get_by_role("heading", name="Faktury", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("status").filter(has_text="po polsku")).to_be_visible()
    expect(page.get_by_role("link", name="Moje konto")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Termin płatności")).to_be_visible()

    page.get_by_label("Status").select_option(label="Niezapłacona")
    expect(page).to_have_url(re.compile(r"status=unpaid"))
    expect(statuses(page).first).to_have_text("Niezapłacona")
    assert set(statuses(page).all_inner_texts()) == {"Niezapłacona"}
    expect(page.locator("table.invoices tbody td.num").first).to_contain_text(re.compile(r"\d,\d\d\s?zł"))
    page.get_by_label("Szukaj faktur").fill("no-such-invoice")
    expect(page.get_by_text("Żadna faktura nie pasuje do tych filtrów.")).to_be_visible()
    assert_accessible(page, "invoice list in Polish")
    screenshot(page, "languages-pl-invoices")
    page.get_by_role("link", name="Faktury", exact=True).click()
    number = pay_first_unpaid_invoice(page, POLSKI, "100,5", r"100,50\s?zł")
    screenshot(page, "languages-pl-receipt")
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=number, level=1)).to_be_visible()
    expect(page.locator(".status")).to_have_text("Częściowo zapłacona")

    page.get_by_role("button", name="Wyloguj się").click()
    expect(page.get_by_role("heading", name="Zaloguj się")).to_be_visible()

    elsewhere = new_browser()
    elsewhere.goto("/login")
    sign_in(elsewhere, "anna@wisla.example")
    expect(elsewhere.get_by_role("heading", name="Faktury", level=1)).to_be_visible()
    elsewhere.get_by_role("link", name="Moje konto").click()
    expect(elsewhere.get_by_role("heading", name="Moje konto", level=1)).to_be_visible()
    assert_accessible(elsewhere, "My account in Polish")


def test_switcher_works_without_javascript(browser, server):
    context = browser.new_context(base_url=server.url, locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_role("button", name="Polski").click()
        expect(page.get_by_role("heading", name="Zaloguj się")).to_be_visible()
        page.get_by_role("button", name="Norsk").click()
        expect(page.get_by_role("heading", name="Logg inn")).to_be_visible()
    finally:
        context.close()
