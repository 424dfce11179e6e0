"""The invoice list in a real browser: filters swap in place, push the URL, survive back and reload."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, screenshot, sign_in

STATUS_TEXT = {"unpaid": "Unpaid", "partial": "Partially paid", "paid": "Paid"}


def status_cells(page):
    return page.locator("table.invoices tbody tr td .status")


def test_sign_in_page_is_accessible_and_wrong_password_stays(page):
    page.goto("/login")
    assert_accessible(page, "sign-in page")
    page.get_by_label("Email").fill("kari@fjordbutikken.example")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    assert page.url.endswith("/login")


def test_status_filters_swap_results_without_reload_and_update_url(page):
    sign_in(page)
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    for value, label in [("unpaid", "Unpaid"), ("partial", "Partially paid"), ("paid", "Paid")]:
        page.get_by_label("Status").select_option(label=label)
        expect(page).to_have_url(re.compile(rf"status={value}"))
        expect(status_cells(page).first).to_have_text(label)
        texts = set(status_cells(page).all_inner_texts())
        assert texts == {STATUS_TEXT[value]}, texts
    page.get_by_label("Status").select_option(label="Overdue")
    expect(page).to_have_url(re.compile(r"status=overdue"))
    expect(page.locator(".badge-overdue").first).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded instead of swapping results"


def test_back_restores_previous_filter_and_reload_keeps_it(page):
    sign_in(page)
    page.get_by_label("Status").select_option(label="Paid")
    expect(page).to_have_url(re.compile(r"status=paid"))
    page.get_by_label("Status").select_option(label="Unpaid")
    expect(page).to_have_url(re.compile(r"status=unpaid"))
    expect(status_cells(page).first).to_have_text("Unpaid")
    page.go_back()
    expect(page).to_have_url(re.compile(r"status=paid"))
    expect(status_cells(page).first).to_have_text("Paid")
    expect(page.get_by_label("Status")).to_have_value("paid")
    page.reload()
    expect(page.get_by_label("Status")).to_have_value("paid")
    assert set(status_cells(page).all_inner_texts()) == {"Paid"}


def test_search_and_invoice_page(page):
    sign_in(page)
    first = page.locator("table.invoices tbody tr th a").first
    number = first.inner_text()
    page.get_by_label("Search invoices").fill(number)
    expect(page).to_have_url(re.compile(rf"q={number}"))
    expect(page.locator("table.invoices tbody tr")).to_have_count(1)
    screenshot(page, "invoice-list-search")
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=number, level=1)).to_be_visible()
    expect(page.get_by_text("Billed to")).to_be_visible()
    assert_accessible(page, "invoice page")


def test_pay_invoice_straight_after_a_search_is_not_lost(page):
    """Typing a number and clicking Pay invoice at once puts it in the cart: leaving the search box does not
    fetch the same results again and swap away the row whose button was just clicked."""
    sign_in(page)
    payable = page.locator("table.invoices tbody tr").filter(has=page.get_by_role("button", name="Pay invoice"))
    number = payable.first.locator("th a").inner_text()
    page.get_by_label("Search invoices").fill(number)
    expect(page).to_have_url(re.compile(rf"q={number}"))
    expect(page.locator("table.invoices tbody tr")).to_have_count(1)
    list_requests = []
    page.on("request", lambda request: list_requests.append(request.url) if "/invoices?" in request.url else None)
    page.get_by_role("button", name="Pay invoice").click()  # the search box still has the focus
    expect(page.get_by_role("button", name="In cart")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Cart \([1-9]"))).to_be_visible()
    assert list_requests == [], list_requests


def test_list_is_accessible_and_screenshot(page):
    sign_in(page)
    expect(page.locator("table.invoices")).to_be_visible()
    assert_accessible(page, "invoice list")
    screenshot(page, "invoice-list")


def test_filters_work_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = context.new_page()
    sign_in(page)
    page.get_by_label("Status").select_option(label="Paid")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"status=paid"))
    assert set(status_cells(page).all_inner_texts()) == {"Paid"}
    context.close()
