"""Every page fits, at a desktop and a phone width, in every language (issue 16).

For each language one signed-in user walks through the portal once — the list, an invoice, a credit note, the
statement, payments, products, My account, a 404, a cart of invoices, its checkout, the gateway's page, the
receipt, a cart of products, its checkout and the order — and each page is opened in two browser profiles
sharing that session: 1280×800 and 390×844. On each: the page does not scroll sideways
(`document.documentElement.scrollWidth <= innerWidth`), every visible button, link and form field lies inside the
viewport horizontally once scrolled to (inside a scrolling table too), no table hides its fields or totals
sideways, at the desktop width no table needs to scroll and the list's rows are one line tall, axe-core finds no
serious or critical violation, and a screenshot lands in `test-results/layout-<language>-<width>-<page>.png`.
Polish, the longest language, is also tried from 360 to 1920 px.

To add a page, append a `Visit` to PAGES: a name, where it is (a path, or a function of the walk that returns one)
and, when the page needs something done first (a cart to fill, a form to send), a `prepare` step run on the desktop
profile. Problems are collected over the whole walk and reported together.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Callable

import pytest

from axe_playwright_python.base import AxeResults

from tests.conftest import LiveServer
from tests.e2e.conftest import DEMO_PASSWORD, RESULTS

LANGUAGES = ["en", "nb", "pl"]
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# One user per language, all of RET-1 (a retailer with an organization account: the list's widest table, with the
# Billed to column). The language is kept on the user, so each language has its own user and cart.
USERS = {"en": "layout-en@fjordbutikken.example", "nb": "layout-nb@fjordbutikken.example",
         "pl": "layout-pl@fjordbutikken.example"}
EXTRA = {"users": [{"email": email, "name": name, "password": DEMO_PASSWORD, "customer": "RET-1"}
                   for email, name in zip(USERS.values(), ("Kari Nordmann", "Kari Nordmann-Solberg",
                                                           "Katarzyna Wiśniewska-Nordmann"))]}


@pytest.fixture(scope="module")
def layout_server(tmp_path_factory):
    server = LiveServer.with_demo_data(tmp_path_factory.mktemp("layout"), EXTRA)
    yield server
    server.stop()


@dataclass
class Walk:
    """The walk through the portal of one language: the desktop page does what a page needs done first."""
    page: object  # the desktop profile's page
    server: LiveServer
    seen: dict = field(default_factory=dict)  # what earlier steps found (invoice numbers, URLs)

    def csrf(self) -> str:
        return self.page.locator("input[name=csrf_token]").first.input_value()

    def post(self, path: str, form: dict) -> str:
        """A form POST with the session's cookies and CSRF token, as the page's own form sends it; the URL it ends on."""
        if not self.page.locator("input[name=csrf_token]").count():
            self.page.goto(self.server.url + "/invoices")
        response = self.page.request.post(self.server.url + path, form={"csrf_token": self.csrf(), **form})
        assert response.ok, f"POST {path}: {response.status} {response.text()[:300]}"
        return response.url


@dataclass
class Visit:
    name: str
    url: str | Callable[[Walk], str]
    prepare: Callable[[Walk], None] | None = None
    check: Callable[[object, str], list[str]] | None = None  # (page, width name) -> problems, for what a page adds


def invoices_on_the_first_screen(page, width_name: str) -> list[str]:
    """On a phone the first screen already shows an invoice (a compact header, the filters folded)."""
    top = page.evaluate("(document.querySelector('table.invoice-rows tbody tr') || {getBoundingClientRect: () => "
                        "({top: Infinity})}).getBoundingClientRect().top + 48 <= innerHeight")
    return [] if width_name != "phone" or top else ["the first screen shows no invoice"]


def _first_invoice_with_a_balance(walk: Walk) -> str:
    walk.page.goto(walk.server.url + "/invoices?status=unpaid")
    numbers = walk.page.locator("table.invoices input[type=checkbox][name=invoice]")
    walk.seen["invoices"] = [numbers.nth(i).get_attribute("value") for i in range(3)]
    return "/invoices/" + walk.seen["invoices"][0]


def _a_credit_note(walk: Walk) -> str:
    walk.page.goto(walk.server.url + "/invoices?status=credit_notes")
    return walk.page.locator("#results tbody a[href*='/credit-notes/']").first.get_attribute("href")


def _fill_cart_with_invoices(walk: Walk) -> None:
    for number in walk.seen["invoices"][1:]:
        walk.post("/cart/invoices", {"invoice": number})


def _start_card_payment(walk: Walk) -> None:
    walk.page.goto(walk.server.url + "/checkout")
    walk.page.locator("form[action$='/checkout'] button[type=submit]").click()
    walk.page.wait_for_url(re.compile(r"/gateway/"))
    walk.seen["gateway"] = walk.page.url


def _pay_by_card(walk: Walk) -> None:
    walk.page.goto(walk.seen["gateway"])
    walk.page.locator("#card_number").fill("4242 4242 4242 4242")
    walk.page.locator("main form button[type=submit]").click()
    walk.page.wait_for_url(re.compile(r"/receipts/"))
    walk.seen["receipt"] = walk.page.url


def _fill_cart_with_products(walk: Walk) -> None:
    walk.page.goto(walk.server.url + "/products")
    items = walk.page.locator("form input[name=product]")
    for item in [items.nth(i).input_value() for i in range(min(3, items.count()))]:
        walk.post("/cart/products", {"product": item, "quantity": "12"})


def _place_order_on_account(walk: Walk) -> None:
    walk.page.goto(walk.server.url + "/checkout")
    walk.page.locator("#buyer_reference").fill("PO-2026-11-LAYOUT")
    walk.page.locator("form[action$='/orders'] button[type=submit]").click()
    walk.page.wait_for_url(re.compile(r"/orders/[^/]+$"))
    walk.seen["order"] = walk.page.url


PAGES = [
    Visit("invoices", "/invoices", check=invoices_on_the_first_screen),
    Visit("invoice", _first_invoice_with_a_balance),
    Visit("credit-note", _a_credit_note),
    Visit("statement", "/statement"),
    Visit("payments", "/payments"),
    Visit("products", "/products"),
    Visit("account", "/account"),
    Visit("not-found", "/no-such-page"),
    Visit("cart-invoices", "/cart", prepare=_fill_cart_with_invoices),
    Visit("checkout-invoices", "/checkout"),
    Visit("gateway", lambda walk: walk.seen["gateway"], prepare=_start_card_payment),
    Visit("receipt", lambda walk: walk.seen["receipt"], prepare=_pay_by_card),
    Visit("cart-products", "/cart", prepare=_fill_cart_with_products),
    Visit("checkout-products", "/checkout"),
    Visit("order", lambda walk: walk.seen["order"], prepare=_place_order_on_account),
    Visit("users", "/account/users"),
    Visit("invite-user", "/account/users/invite"),
    Visit("activity", "/account/activity"),
    Visit("forgot-password", "/password/forgot"),
]

# Every visible control, scrolled to, must lie inside the viewport horizontally. The skip link waits off-screen
# until it gets focus, by design.
OUTSIDE = """() => {
  const out = [];
  const width = window.innerWidth;
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (el.matches('.skip-link') || !el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    el.scrollIntoView({block: 'nearest', inline: 'nearest'});
    const r = el.getBoundingClientRect();
    if (r.left < -0.5 || r.right > width + 0.5) {
      const name = (el.getAttribute('aria-label') || el.textContent || el.name || el.id || '').trim().slice(0, 40);
      out.push(`${el.tagName.toLowerCase()} "${name}" at ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
  }
  window.scrollTo(0, 0);
  return out;
}"""

# At the desktop width nothing needs a sideways scroll bar, not even a table inside its scrolling box.
SCROLLING_BOXES = """() => [...document.querySelectorAll('main *')]
  .filter(el => el.scrollWidth > el.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
  .map(el => `${el.tagName.toLowerCase()}.${el.className} by ${el.scrollWidth - el.clientWidth}px`)"""


# Polish, the longest language, is also tried at these widths (the page must not scroll sideways, no control may
# lie outside the window); from 1280 px up, and for the invoice list from 861 px up (narrower, it is cards), no
# table may need its scroll bar.
SWEEP = [360, 414, 600, 720, 768, 861, 1024, 1100, 1440, 1920]


# The invoice list's rows at desktop widths: one line per cell (about 15 rows on a 900 px screen).
ROW_HEIGHT = 48
TALL_ROWS = f"""() => [...document.querySelectorAll('table.invoice-rows tbody tr')]
  .filter(tr => tr.getBoundingClientRect().height > {ROW_HEIGHT})
  .map(tr => tr.id + ' ' + Math.round(tr.getBoundingClientRect().height) + 'px')"""


# At any width, a table holding form fields or totals (the cart's amounts, Total to pay) shows them without its
# scroll bar.
HIDDEN_TOTALS = """() => [...document.querySelectorAll('main .table-wrap')]
  .filter(el => el.scrollWidth > el.clientWidth + 1 && el.querySelector('input, tfoot'))
  .map(el => `${el.getAttribute('aria-labelledby') || el.getAttribute('aria-label')} by ${el.scrollWidth - el.clientWidth}px`)"""


def fits(page, name: str, tables_fit: bool) -> list[str]:
    problems = [f"{name}: table {table} hides fields or totals sideways" for table in page.evaluate(HIDDEN_TOTALS)]
    page_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if page_width[0] > page_width[1]:
        problems.append(f"{name}: the page is {page_width[0]} px wide in a {page_width[1]} px window")
    for outside in page.evaluate(OUTSIDE):
        problems.append(f"{name}: {outside} lies outside the {page_width[1]} px window")
    if tables_fit:
        for box in page.evaluate(SCROLLING_BOXES):
            problems.append(f"{name}: {box} scrolls sideways at {page_width[1]} px")
        tall = page.evaluate(TALL_ROWS)
        if tall:
            problems.append(f"{name}: invoice rows taller than one line: {tall[:5]}")
    return problems


def sweep(page, name: str) -> list[str]:
    problems = []
    for width in SWEEP:
        page.set_viewport_size({"width": width, "height": 800})
        list_fits = width >= 861 and page.locator("table.invoice-rows").count() > 0
        problems += fits(page, f"{name}@{width}", width >= 1280 or list_fits)
    page.set_viewport_size(WIDTHS["desktop"])
    return problems


# axe-core (preloaded into every page of the two profiles) runs on every page at both widths, each page in one of the
# languages in turn (the list in English, the invoice in Norwegian, the credit note in Polish, ...): a third of the
# time of running it everywhere. SETTLE_LAYOUT_AXE=all runs it on every page in every language.
AXE_IN_PAGE = "axe.run(document, {resultTypes: ['violations']})"
AXE_EVERYWHERE = os.environ.get("SETTLE_LAYOUT_AXE") == "all"


def check_page(page, name: str, width_name: str, with_axe: bool) -> list[str]:
    problems = fits(page, name, width_name == "desktop")
    page.screenshot(path=str(RESULTS / f"layout-{name}.png"), full_page=True)
    if not with_axe:
        return problems
    results = AxeResults(page.evaluate(AXE_IN_PAGE))
    for violation in results.response["violations"]:
        if violation.get("impact") in ("serious", "critical"):
            targets = [node["target"] for node in violation["nodes"]][:3]
            problems.append(f"{name}: axe {violation['id']} ({violation['impact']}) {violation['help']} {targets}")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_fits_at_desktop_and_phone_widths_and_passes_axe(browser, layout_server, language):
    from axe_playwright_python.sync_playwright import Axe

    RESULTS.mkdir(exist_ok=True)
    server = layout_server
    signing_in = browser.new_context(base_url=server.url, locale="en-GB", viewport=WIDTHS["desktop"])
    contexts = [signing_in]
    try:
        page = signing_in.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(USERS[language])
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/invoices**")
        page.locator(f".language-switcher button[lang={language}]").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == language
        state = signing_in.storage_state()  # one sign-in, shared by the desktop and the phone profile
        pages = {}
        for width_name, viewport in WIDTHS.items():
            context = browser.new_context(base_url=server.url, locale="en-GB", viewport=viewport, storage_state=state)
            context.add_init_script(Axe().axe_script)
            contexts.append(context)
            pages[width_name] = context.new_page()
        walk = Walk(page=page, server=server)
        problems = []
        for index, visit in enumerate(PAGES):
            if visit.prepare:
                visit.prepare(walk)
            url = visit.url(walk) if callable(visit.url) else visit.url
            with_axe = AXE_EVERYWHERE or LANGUAGES[index % len(LANGUAGES)] == language
            for width_name, shown in pages.items():
                response = shown.goto(url)
                assert response.status < 500, f"{visit.name}: {response.status}"
                problems += check_page(shown, f"{language}-{width_name}-{visit.name}", width_name, with_axe)
                if visit.check:
                    problems += [f"{language}-{width_name}-{visit.name}: {problem}"
                                 for problem in visit.check(shown, width_name)]
                if language == "pl" and width_name == "desktop":
                    problems += sweep(shown, f"{language}-{visit.name}")
        assert not problems, "\n".join(problems)
    finally:
        for context in contexts:
            context.close()


DARK_PAGES = ["/invoices", "/invoices?status=credit_notes", "/statement", "/payments", "/products", "/account",
              "/cart", "/no-such-page"]


def test_dark_mode_keeps_contrast_and_focus_stays_visible(browser, layout_server):
    """In the dark colour scheme axe-core still finds no serious or critical violation (contrast above all), and a
    keyboard user always sees where the focus is."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(base_url=layout_server.url, locale="en-GB", viewport=WIDTHS["desktop"],
                                  color_scheme="dark")
    try:
        context.add_init_script(Axe().axe_script)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill("sara@nordlys.example")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/invoices**")
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        problems = []
        for path in DARK_PAGES:
            page.goto(path)
            results = AxeResults(page.evaluate(AXE_IN_PAGE))
            problems += [f"{path}: axe {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
                         for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        page.goto("/invoices")
        page.screenshot(path=str(RESULTS / "layout-en-desktop-invoices-dark.png"))
        for _ in range(6):  # skip link, logo, the menu's links: each shows a focus ring
            page.keyboard.press("Tab")
            ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); "
                                 "return [document.activeElement.textContent.trim().slice(0, 30), s.outlineStyle, "
                                 "parseFloat(s.outlineWidth)] })()")
            if ring[1] == "none" or ring[2] < 2:
                problems.append(f"focus on {ring[0]!r} shows no ring: {ring}")
        assert not problems, "\n".join(problems)
    finally:
        context.close()
