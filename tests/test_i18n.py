"""Norwegian Bokmål and Polish (issue 7).

(a) the catalogs: every message the code shows has a translation in nb and pl, and the catalogs
    are up to date with the code (nothing missing, fuzzy or obsolete; placeholders kept);
(b) pages rendered in nb and pl show no English text of the portal's own (names in data excepted);
(c) amounts typed with a decimal comma are understood;
(d) amounts and dates are formatted per language;
and the language switcher: kept on the user, in a cookie for visitors, after signing in again.
"""
from __future__ import annotations

import os
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.world import PASSWORD, USERS, world_payload

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LANGUAGES = ("nb", "pl")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
NBSP = "\u00a0"


# ---------------------------------------------------------------------------- catalogs


def read_catalog(path: Path, locale=None):
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


def compile_catalogs():
    """What `make translations` does, so the pages below never run on stale .mo files."""
    for language in LANGUAGES:
        po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        tmp = mo.with_name(f".messages.{os.getpid()}.mo")
        with open(tmp, "wb") as handle:
            write_mo(handle, read_catalog(po, language))
        os.replace(tmp, mo)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    compile_catalogs()


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages the code has right now, extracted exactly as `make messages` does."""
    out = tmp_path_factory.mktemp("i18n") / "messages.pot"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        CommandLineInterface().run(["pybabel", "-q", "extract", "-F", "babel.cfg", "-k", "lazy_gettext",
                                    "-k", "_l", "--no-location", "-o", str(out), "."])
    finally:
        os.chdir(cwd)
    template = read_catalog(out)
    return {(m.id, m.context): m for m in template if m.id}


def keys(catalog):
    return {(m.id, m.context) for m in catalog if m.id}


def describe(key):
    msgid, context = key
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


def test_the_committed_template_is_up_to_date_with_the_code(extracted):
    committed = keys(read_catalog(TRANSLATIONS / "messages.pot"))
    new = sorted(map(describe, set(extracted) - committed))
    gone = sorted(map(describe, committed - set(extracted)))
    assert not new and not gone, (
        "translations/messages.pot is out of date; run `make messages` and translate.\n"
        f"new in the code: {new}\nno longer in the code: {gone}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation_and_the_catalog_is_current(extracted, language):
    catalog = read_catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)
    problems = []
    missing = set(extracted) - keys(catalog)
    problems += [f"not in the catalog (run `make messages`): {describe(k)}" for k in sorted(missing, key=str)]
    stale = keys(catalog) - set(extracted)
    problems += [f"no longer in the code: {describe(k)}" for k in sorted(stale, key=str)]
    problems += [f"obsolete entry: {describe((m.id, m.context))}" for m in catalog.obsolete.values()]
    for message in catalog:
        if not message.id:
            continue
        key = describe((message.id, message.context))
        if message.fuzzy:
            problems.append(f"fuzzy: {key}")
        source = extracted.get((message.id, message.context))
        if source is not None and source.pluralizable != message.pluralizable:
            problems.append(f"singular/plural differs from the code: {key}")
        forms = list(message.string) if message.pluralizable else [message.string]
        if message.pluralizable and len(forms) != catalog.num_plurals:
            problems.append(f"{len(forms)} plural forms instead of {catalog.num_plurals}: {key}")
        if not all(form and form.strip() for form in forms):
            problems.append(f"untranslated: {key}")
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(message.id if message.pluralizable else [message.id])))
        for form in forms:
            found = set(PLACEHOLDER.findall(form))
            # A singular may say "one" instead of the number; every other name must be kept.
            allowed_missing = {"num"} if message.pluralizable else set()
            if found - wanted or wanted - found - allowed_missing:
                problems.append(f"placeholders {sorted(found)} instead of {sorted(wanted)}: {key} -> {form!r}")
            try:
                form % {name: "x" for name in wanted}
            except (ValueError, TypeError, KeyError) as error:
                problems.append(f"broken %-formatting ({error}): {key} -> {form!r}")
    for message, errors in catalog.check():
        problems += [f"{describe((message.id, message.context))}: {error}" for error in errors]
    assert not problems, f"translations/{language}: {len(problems)} problem(s):\n" + "\n".join(problems)


def test_polish_has_three_plural_forms_and_norwegian_two():
    assert read_catalog(TRANSLATIONS / "pl" / "LC_MESSAGES" / "messages.po", "pl").num_plurals == 3
    assert read_catalog(TRANSLATIONS / "nb" / "LC_MESSAGES" / "messages.po", "nb").num_plurals == 2


@pytest.mark.parametrize("language, count, expected", [
    ("pl", 1, "1 faktura"), ("pl", 2, "2 faktury"), ("pl", 4, "4 faktury"), ("pl", 5, "5 faktur"),
    ("pl", 12, "12 faktur"), ("pl", 22, "22 faktury"), ("pl", 25, "25 faktur"),
    ("nb", 1, "1 faktura"), ("nb", 2, "2 fakturaer"), ("en", 1, "1 invoice"), ("en", 5, "5 invoices"),
])
def test_plural_forms(sqlite_app, language, count, expected):
    from flask_babel import force_locale, ngettext

    with sqlite_app.test_request_context(), force_locale(language):
        assert ngettext("%(num)s invoice", "%(num)s invoices", count) == expected


# ---------------------------------------------------------------------------- pages


class VisibleText(HTMLParser):
    """Text a person meets on a page: text nodes and the attributes that are read out or shown."""

    SHOWN_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt", "aria-description")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        attrs = dict(attrs)
        self.parts += [attrs[name] for name in self.SHOWN_ATTRIBUTES if attrs.get(name)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data)


def data_strings() -> list[str]:
    """Every string of the test world (names, addresses, products...): data may be in any language."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            found.extend(part.strip() for part in value.split("\n") if part.strip())

    walk(world_payload())
    found += [name.title() for name in USERS]
    return sorted(set(found), key=len, reverse=True)


EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")


def english_patterns(language):
    """(msgid, regex) for every English message whose translation in `language` differs from it."""
    catalog = read_catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)
    patterns = []
    for message in catalog:
        if not message.id:
            continue
        ids = list(message.id) if message.pluralizable else [message.id]
        forms = list(message.string) if message.pluralizable else [message.string]
        for msgid in ids:
            if msgid in forms:
                continue  # the same word in both languages ("Status")
            pieces = PLACEHOLDER.split(msgid)[::2]
            if not any(re.search(r"[A-Za-z]{2,}", piece) for piece in pieces):
                continue
            regex = r".{1,80}?".join(re.escape(piece) for piece in pieces)
            patterns.append((msgid, re.compile(rf"(?<![A-Za-z]){regex}(?![A-Za-z])")))
    return patterns


def english_leftovers(html: str, language: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = "\n".join(" ".join(part.split()) for part in parser.parts)
    text = EMAIL.sub(" ", text)
    for value in data_strings():
        text = text.replace(value, " ")
    return sorted({msgid for msgid, pattern in english_patterns(language) if pattern.search(text)})


@pytest.fixture
def pages_app(sqlite_app):
    """The test world on SQLite: what a page says does not depend on the database."""
    from models import db
    from models.importer import import_data

    with sqlite_app.app_context(), db.connection_context():
        import_data(world_payload())
    return sqlite_app


def signed_in(app, who, language):
    client = app.test_client()
    client.set_cookie("lang", language)
    response = client.post("/login", data={"email": USERS[who][0], "password": PASSWORD})
    assert response.status_code == 303
    response = client.post("/language", data={"lang": language, "next": "/invoices"})
    assert response.status_code == 303
    return client


def assert_translated(response, language, what):
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}"' in html, f"{what}: <html lang> is not {language}"
    leftovers = english_leftovers(html, language)
    assert not leftovers, f"{what} in {language} shows English text: {leftovers}"


SIGNED_IN_PAGES = [
    ("kari", "/invoices"),
    ("kari", "/invoices?status=overdue"),
    ("kari", "/invoices?status=paid&whose=org"),
    ("kari", "/invoices?q=no-such-invoice"),
    ("kari", "/invoices?status=bogus&sort=bogus&page=x&whose=bogus"),
    ("kari", "/invoices?page=99"),
    ("kari", "/invoices/D-001"),   # open cash discount
    ("kari", "/invoices/D-002"),   # overdue
    ("kari", "/invoices/D-004"),   # partially paid, a payment made before
    ("kari", "/account"),
    ("anna", "/invoices"),
    ("anna", "/invoices/I-001"),
    ("anna", "/account"),
    ("nina", "/invoices"),
    ("kari", "/invoices/I-001"),   # another company's invoice: the 404 page
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_signed_in_pages_have_no_english_left(pages_app, language):
    clients = {}
    for who, url in SIGNED_IN_PAGES:
        client = clients.get(who) or clients.setdefault(who, signed_in(pages_app, who, language))
        response = client.get(url)
        assert response.status_code in (200, 404), f"{url}: {response.status_code}"
        assert_translated(response, language, f"{url} as {who}")
        fragment = client.get(url, headers={"HX-Request": "true"})
        leftovers = english_leftovers(fragment.get_data(as_text=True), language)
        assert not leftovers, f"{url} (htmx fragment) as {who} in {language} shows English text: {leftovers}"


def follow(client, response, language, what, *, expect=(303, 302)):
    """Check a response, then follow its redirect (if any) and check the page it leads to."""
    assert response.status_code in expect, f"{what}: {response.status_code}"
    if response.status_code in (302, 303):
        location = response.headers["Location"]
        page = client.get(location)
        assert page.status_code == 200, f"{what} -> {location}: {page.status_code}"
        assert_translated(page, language, f"{what} -> {location}")
        return page
    assert not english_leftovers(response.get_data(as_text=True), language), what
    return response


@pytest.mark.parametrize("language", LANGUAGES)
def test_paying_an_invoice_speaks_the_language_throughout(pages_app, language):
    """Pay invoice, the cart (decimal-comma amount, a wrong amount), checkout, the gateway, the receipt."""
    nok = {"nb": "kr", "pl": "NOK"}[language]
    client = signed_in(pages_app, "kari", language)
    added = client.post("/cart/invoices", data={"invoice": "D-004"}, headers={"HX-Request": "true"})
    assert added.status_code == 200 and not english_leftovers(added.get_data(as_text=True), language)
    follow(client, client.post("/cart/invoices", data={"invoice": "D-004"}), language, "Pay invoice")
    cart = client.get("/cart")
    assert_translated(cart, language, "the cart")
    line = re.search(r'name="amount-(\d+)"', cart.get_data(as_text=True)).group(1)
    assert 'value="1000,00"' in cart.get_data(as_text=True)  # the balance, with the language's decimal comma
    assert_translated(client.get("/cart/clear"), language, "Empty cart asking first")
    unclear = client.post(f"/cart/lines/{line}/amount", data={"amount": "1.234"}, headers={"HX-Request": "true"})
    assert unclear.status_code == 422 and not english_leftovers(unclear.get_data(as_text=True), language)

    wrong = client.post(f"/cart/lines/{line}/amount", data={"amount": "12,345"}, headers={"HX-Request": "true"})
    assert wrong.status_code == 422
    assert not english_leftovers(wrong.get_data(as_text=True), language), "a wrong amount's message"
    wrong = client.post("/cart", data={f"amount-{line}": "abc"})
    assert wrong.status_code == 422
    assert_translated(wrong, language, "the cart with a wrong amount")
    too_much = client.post("/cart", data={f"amount-{line}": "1000,01"})
    assert too_much.status_code == 422 and f"1{NBSP}000,00{NBSP}{nok}" in too_much.get_data(as_text=True)
    assert_translated(too_much, language, "the cart with more than the balance")

    typed = client.post(f"/cart/lines/{line}/amount", data={"amount": "234,5"},
                        headers={"HX-Request": "true"})
    assert typed.status_code == 200 and 'value="234,50"' in typed.get_data(as_text=True)
    follow(client, client.post("/cart", data={f"amount-{line}": "250,50"}), language, "Update amounts")
    checkout = follow(client, client.post("/cart", data={f"amount-{line}": "250,50", "action": "checkout"}),
                      language, "Check out")
    assert f"250,50{NBSP}{nok}" in checkout.get_data(as_text=True)
    assert_translated(client.post("/checkout", data={"payment_method": "on_account"}), language,
                      "checkout refusing On account")
    to_gateway = client.post("/checkout", data={"payment_method": "card"})
    assert to_gateway.status_code == 303
    gateway = to_gateway.headers["Location"]
    assert_translated(client.get(gateway), language, "the test gateway")
    assert_translated(client.post(gateway, data={"card_number": "1234"}), language, "a wrong test card")
    back = client.post(gateway, data={"card_number": "4242 4242 4242 4242"})
    assert back.status_code == 303
    receipt = client.get(back.headers["Location"], follow_redirects=True)
    assert_translated(receipt, language, "the receipt")
    assert f"250,50{NBSP}{nok}" in receipt.get_data(as_text=True)
    assert_translated(client.get(gateway), language, "the gateway's page of a payment already made")
    detail = client.get("/invoices/D-004").get_data(as_text=True)
    assert f"749,50{NBSP}{nok}" in detail  # 1000.00 - 250.50: the decimal comma was understood


@pytest.mark.parametrize("language", LANGUAGES)
def test_ordering_products_speaks_the_language_throughout(pages_app, language):
    client = signed_in(pages_app, "sara", language)
    assert_translated(client.get("/products"), language, "the products page")
    bad = client.post("/cart/products", data={"product": "A-100", "quantity": "x"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and not english_leftovers(bad.get_data(as_text=True), language)
    follow(client, client.post("/cart/products", data={"product": "A-100", "quantity": "2"}), language, "Add to cart")
    refused = client.post("/cart/invoices", data={"invoice": "D-001"})  # a cart holds products or invoices
    follow(client, refused, language, "an invoice into a product cart")
    assert_translated(client.get("/cart"), language, "a product cart")
    checkout = client.get("/checkout")
    assert_translated(checkout, language, "a product checkout")
    version = re.search(r'name="cart_version" value="(\d+)"', checkout.get_data(as_text=True))
    data = {"payment_method": "on_account", **({"cart_version": version.group(1)} if version else {})}
    order = follow(client, client.post("/orders", data=data), language, "Place order")
    assert re.search(r"/orders/", order.request.path)
    assert_translated(client.get("/account"), language, "My account with an order")


@pytest.mark.parametrize("language", LANGUAGES)
def test_requesting_an_invoice_speaks_the_language_throughout(pages_app, language):
    client = signed_in(pages_app, "kari", language)
    assert_translated(client.get("/invoices/D-001/request"), language, "the request page")
    dialog = client.get("/invoices/D-001/request", headers={"HX-Request": "true"})
    html = dialog.get_data(as_text=True)
    assert "<dialog" in html and USERS["kari"][0] in html
    assert not english_leftovers(html, language), "the request dialog"
    sent = client.post("/invoices/D-001/request", headers={"HX-Request": "true"})
    assert not english_leftovers(sent.get_data(as_text=True), language), "the dialog's answer"
    follow(client, client.post("/invoices/D-001/request"), language, "Send request again")
    account = client.get("/account")
    assert_translated(account, language, "My account with a B2B request")


def test_emails_and_pdfs_use_the_requesting_users_language(pages_app, tmp_path):
    """The back-office job runs without a request: each email and its PDF in its requester's language."""
    from email import policy
    from email.parser import BytesParser

    from pypdf import PdfReader
    import io

    from models import db
    from models.customer import User
    from models.request import B2BRequest
    from services.request_job import process_pending_requests

    outbox = tmp_path / "outbox-i18n"
    pages_app.config.update(MAIL_SERVER=None, MAIL_OUTBOX=str(outbox))
    wanted = {"kari": ("nb", "D-004", "Faktura D-004 fra"), "anna": ("pl", "I-001", "Faktura I-001 od"),
              "sara": (None, "R2-001", "Invoice R2-001 from")}
    with pages_app.app_context(), db.connection_context():
        for who, (language, number, _) in wanted.items():
            user = User.get(User.email == USERS[who][0])
            User.update(locale=language).where(User.id == user.id).execute()
            B2BRequest.request_invoice_copy(User.get_by_id(user.id), number)
        assert process_pending_requests().sent == 3
    messages = [BytesParser(policy=policy.default).parse(open(path, "rb")) for path in outbox.rglob("*.eml")]
    assert len(messages) == 3
    for who, (language, number, subject) in wanted.items():
        [message] = [m for m in messages if number in m["Subject"]]
        assert message["Subject"].startswith(subject)
        [attachment] = list(message.iter_attachments())
        reader = PdfReader(io.BytesIO(attachment.get_content()))
        pdf = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
        if language is None:
            assert "Balance due" in pdf
            continue
        for part in ("plain", "html"):
            body = message.get_body((part,)).get_content()
            leftovers = english_leftovers(body if part == "html" else f"<p>{body}</p>", language)
            assert not leftovers, f"{who}'s {part} email in {language} shows English text: {leftovers}"
        leftovers = english_leftovers(f"<p>{pdf}</p>", language)
        assert not leftovers, f"{who}'s PDF in {language} shows English text: {leftovers}"
    assert "Do zapłaty" in " ".join(PdfReader(io.BytesIO(list(
        next(m for m in messages if "I-001" in m["Subject"]).iter_attachments())[0].get_content())).pages[0]
        .extract_text().split())


def test_the_pdf_download_follows_the_pages_language(pages_app):
    from pypdf import PdfReader
    import io

    client = signed_in(pages_app, "anna", "pl")
    response = client.get("/invoices/I-001/pdf")
    assert response.status_code == 200
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Do zapłaty" in text and not english_leftovers(f"<p>{text}</p>", "pl")


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_in_pages_have_no_english_left(pages_app, language):
    client = pages_app.test_client()
    client.set_cookie("lang", language)
    assert_translated(client.get("/login"), language, "the sign-in page")
    wrong = client.post("/login", data={"email": USERS["kari"][0], "password": "wrong"})
    assert wrong.status_code == 422
    assert_translated(wrong, language, "a failed sign-in")
    assert_translated(client.get("/no-such-page"), language, "the 404 page")


def test_the_check_itself_finds_english(pages_app):
    """The page check is only worth something if it catches English on a translated page."""
    english = pages_app.test_client().get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert {"Sign in", "Password", "Keep me signed in"} <= set(english_leftovers(english, "pl"))


def test_accessible_names_stay_english_in_english(pages_app):
    client = pages_app.test_client()
    client.post("/login", data={"email": USERS["kari"][0], "password": PASSWORD})
    html = client.get("/invoices", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en"' in html
    for name in ("Invoices", "My account", "Search invoices", "Sign out", "Partially paid", "Overdue"):
        assert name in html


# ---------------------------------------------------------------------------- the language switcher


def user_locale(email):
    from models import db
    from models.customer import User

    with db.connection_context():
        return User.get(User.email == email).locale


def test_switcher_is_a_plain_form_per_language_with_csrf(tmp_path, sqlite_url):
    from tests.conftest import make_app

    app = make_app(sqlite_url, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    html = client.get("/login?next=/invoices").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="/language">(.*?)</form>', html, re.S)
    assert len(forms) == 3
    for form, (code, name) in zip(forms, [("en", "English"), ("nb", "Norsk"), ("pl", "Polski")]):
        assert 'name="csrf_token" value="' in form
        assert f'name="lang" value="{code}"' in form
        assert f'lang="{code}"' in form and f">{name}</button>" in form
        assert 'name="next" value="/login?next=/invoices"' in form
    assert client.post("/language", data={"lang": "pl"}).status_code == 400  # no CSRF token: refused
    assert client.get_cookie("lang") is None


def test_switcher_on_an_error_page_goes_home_without_repeating_the_url(pages_app):
    client = signed_in(pages_app, "kari", "nb")
    response = client.get("/invoices/I-001")  # another company's invoice
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "I-001" not in html and 'name="next" value="/"' in html
    wrong = client.post("/login", data={})  # a page answering a POST comes back to its GET
    assert wrong.status_code == 422 and 'name="next" value="/login"' in wrong.get_data(as_text=True)
    assert 'name="next" value="/"' in client.get("/no-such-page").get_data(as_text=True)
    assert 'name="next" value="/invoices?status=paid"' in client.get("/invoices?status=paid").get_data(as_text=True)


def test_visitor_choice_is_kept_in_a_cookie(sqlite_app):
    client = sqlite_app.test_client()
    response = client.post("/language", data={"lang": "pl", "next": "/login"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    cookie = response.headers["Set-Cookie"]
    assert "lang=pl" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="pl"' in page and "Zaloguj się" in page
    assert "Portal jest teraz wyświetlany po polsku." in page


def test_browser_language_is_used_until_one_is_chosen(sqlite_app):
    client = sqlite_app.test_client()
    page = client.get("/login", headers={"Accept-Language": "nb-NO,nb;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="nb"' in page and "Logg inn" in page
    page = client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en"' in page and "Sign in" in page
    client.post("/language", data={"lang": "pl"})
    page = client.get("/login", headers={"Accept-Language": "nb"}).get_data(as_text=True)
    assert '<html lang="pl"' in page


@pytest.mark.parametrize("bad", ["de", "", "../en", "nb" * 50])
def test_unknown_language_changes_nothing(app, world, bad):
    client = app.test_client()
    client.post("/login", data={"email": USERS["kari"][0], "password": PASSWORD})
    response = client.post("/language", data={"lang": bad, "next": "/invoices"})
    assert response.status_code == 303 and response.headers["Location"] == "/invoices"
    assert "lang=" not in response.headers.get("Set-Cookie", "")
    assert user_locale(USERS["kari"][0]) is None
    page = client.get("/invoices").get_data(as_text=True)
    assert "That language is not available" in page and '<html lang="en"' in page


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "javascript:alert(1)", ""])
def test_switcher_only_returns_to_this_site(sqlite_app, target):
    response = sqlite_app.test_client().post("/language", data={"lang": "nb", "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_choice_is_kept_on_the_user_and_sticks_after_signing_in_again(app, world):
    email = USERS["ola"][0]
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    response = client.post("/language", data={"lang": "nb", "next": "/invoices?status=unpaid"})
    assert response.headers["Location"] == "/invoices?status=unpaid"
    assert user_locale(email) == "nb"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="nb"' in page and "Fakturaer" in page and "Ubetalt" in page
    client.post("/logout")
    assert "Logg inn" in client.get("/login").get_data(as_text=True)  # the cookie keeps it signed out

    elsewhere = app.test_client()  # another browser: no cookie, an English one at that
    elsewhere.post("/login", data={"email": email, "password": PASSWORD})
    page = elsewhere.get("/invoices", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="nb"' in page and "Min konto" in page
    assert user_locale(USERS["kari"][0]) is None  # nobody else's choice changed


def test_a_visitors_choice_becomes_the_users_when_they_have_none(app, world):
    client = app.test_client()
    client.post("/language", data={"lang": "pl"})
    client.post("/login", data={"email": USERS["sara"][0], "password": PASSWORD})
    assert user_locale(USERS["sara"][0]) == "pl"
    assert "Moje konto" in client.get("/invoices").get_data(as_text=True)


def test_the_users_own_choice_wins_over_an_old_cookie(app, world):
    email = USERS["nina"][0]
    first = app.test_client()
    first.post("/login", data={"email": email, "password": PASSWORD})
    first.post("/language", data={"lang": "nb"})
    other = app.test_client()
    other.set_cookie("lang", "pl")
    response = other.post("/login", data={"email": email, "password": PASSWORD})
    assert "lang=nb" in response.headers.get("Set-Cookie", "")
    assert '<html lang="nb"' in other.get("/invoices").get_data(as_text=True)
    assert user_locale(email) == "nb"


# ---------------------------------------------------------------------------- amounts and dates


@pytest.mark.parametrize("typed, expected", [
    ("1234,50", "1234.50"), ("1 234,50", "1234.50"), ("1\u00a0234,50", "1234.50"), ("1\u202f234,5", "1234.5"),
    ("0,01", "0.01"), ("1234.50", "1234.50"), (" 12,3 ", "12.3"),
])
def test_amounts_with_a_decimal_comma_are_understood(typed, expected):
    from models.money import parse_decimal

    assert parse_decimal(typed) == Decimal(expected)


@pytest.mark.parametrize("typed", ["1,234,50", "1.234,50", "12,345", "1,2e3", "abc", ",", "NaN"])
def test_ambiguous_or_wrong_amounts_are_refused(typed):
    from models.money import AmountError, parse_decimal

    with pytest.raises(AmountError):
        parse_decimal(typed)


@pytest.mark.parametrize("language, amount, currency, expected", [
    ("en", "1234.5", "NOK", f"NOK{NBSP}1,234.50"),
    ("en", "1234.5", "PLN", f"PLN{NBSP}1,234.50"),
    ("en", "-1234.5", "NOK", f"-NOK{NBSP}1,234.50"),
    ("nb", "1234.5", "NOK", f"1{NBSP}234,50{NBSP}kr"),
    ("nb", "1234567.89", "NOK", f"1{NBSP}234{NBSP}567,89{NBSP}kr"),
    ("nb", "1234.5", "PLN", f"1{NBSP}234,50{NBSP}PLN"),
    ("pl", "1234.5", "PLN", f"1{NBSP}234,50{NBSP}zł"),
    ("pl", "1234.5", "NOK", f"1{NBSP}234,50{NBSP}NOK"),
    ("pl", "0.05", "PLN", f"0,05{NBSP}zł"),
])
def test_amounts_are_formatted_per_language(sqlite_app, language, amount, currency, expected):
    from flask_babel import force_locale

    from i18n.formatting import money

    with sqlite_app.test_request_context(), force_locale(language):
        assert money(Decimal(amount), currency) == expected


@pytest.mark.parametrize("language, medium, short", [
    ("en", "Oct 1, 2026", "1 Oct"), ("nb", "1. okt. 2026", "1 okt."), ("pl", "1 paź 2026", "1 paź"),
])
def test_dates_are_formatted_per_language(sqlite_app, language, medium, short):
    from flask_babel import force_locale

    from i18n.formatting import day

    with sqlite_app.test_request_context(), force_locale(language):
        assert day(date(2026, 10, 1)) == medium
        assert day(date(2026, 10, 1), "d MMM") == short


@pytest.mark.parametrize("language, expected", [("en", "1234.50"), ("nb", "1234,50"), ("pl", "1234,50")])
def test_amount_field_values_round_trip_in_each_language(sqlite_app, language, expected):
    from flask_babel import force_locale

    from models.money import parse_decimal
    from i18n.formatting import amount_for_input as plain_amount

    with sqlite_app.test_request_context(), force_locale(language):
        assert plain_amount(Decimal("1234.5")) == expected
        assert parse_decimal(expected) == Decimal("1234.50")


def test_invoice_page_shows_amounts_and_dates_in_the_language(pages_app):
    from flask_babel import force_locale

    from i18n.formatting import day

    client = signed_in(pages_app, "anna", "pl")
    page = client.get("/invoices/I-001").get_data(as_text=True)
    assert f"1{NBSP}230,00{NBSP}zł" in page  # 10 x 100.00 + 23 % VAT
    invoice_date = date.fromisoformat(next(i for i in world_payload()["invoices"]
                                           if i["number"] == "I-001")["invoice_date"])
    with pages_app.test_request_context(), force_locale("pl"):
        assert day(invoice_date) in page
    client = signed_in(pages_app, "kari", "nb")
    page = client.get("/invoices/D-004").get_data(as_text=True)
    assert f"1{NBSP}250,00{NBSP}kr" in page and f"1{NBSP}000,00{NBSP}kr" in page
