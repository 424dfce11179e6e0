"""Amounts and dates read the same wherever they appear, and the quick ways of writing them stay exact.

`money` writes an amount with a layout learnt once from Babel's own output (i18n/formatting.py); these tests
compare it with Babel on random amounts in every language and currency the portal uses, and fail when Babel
changes so that the layout cannot be learnt any more (the portal would still be right, but slower: look at
`_money_layout`). Templates translate through Jinja's newstyle i18n with Flask-Babel's translations looked
up once per language (views/context.py); a test compares them with Flask-Babel's gettext on every message."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from i18n.formatting import PROBE_AMOUNTS, babel_money, has_fast_money, money

LANGUAGES = ("en", "nb", "pl")
CURRENCIES = ("NOK", "PLN", "EUR", "SEK", "DKK", "USD")


@pytest.mark.parametrize("language", LANGUAGES)
def test_money_writes_exactly_what_babel_writes(language):
    rng = random.Random(f"money-{language}")
    amounts = list(PROBE_AMOUNTS) + [Decimal(rng.randint(-10**11, 10**11)) / 100 for _ in range(400)]
    for currency in CURRENCIES:
        for amount in amounts:
            assert money(amount, currency, language) == babel_money(amount, currency, language), (amount, currency)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_quick_money_layout_is_in_use_for_the_portals_currencies(language):
    """If this fails, Babel's output changed shape: amounts are still right (Babel formats them), but every
    list page formats a hundred amounts the slow way."""
    for currency in CURRENCIES:
        assert has_fast_money(language, currency), (language, currency)


def test_amounts_that_are_not_plain_decimals_still_come_out_right():
    for amount in (Decimal("1.005"), Decimal("-0"), Decimal("1E+3"), Decimal("12.3456")):
        assert money(amount, "NOK", "en") == babel_money(amount, "NOK", "en")
    assert money(None, "NOK", "en") == ""


def test_templates_translate_every_message_as_flask_babel_does(sqlite_app):
    """The template translation callables (views/context.py) give Flask-Babel's translation of every message of
    the catalog, in every language, with and without the page's language in the context."""
    from babel.messages.pofile import read_po
    from flask import render_template_string
    from flask_babel import force_locale, gettext
    from tests.test_i18n import TRANSLATIONS

    for language in ("nb", "pl"):
        with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
            catalog = read_po(handle)
        messages = [m.id for m in catalog if m.id and isinstance(m.id, str) and not m.context and "%" not in m.id]
        assert len(messages) > 200
        with sqlite_app.test_request_context(), force_locale(language):
            for message in messages:
                expected = gettext(message)
                assert render_template_string("{{ _(m) }}", m=message) == expected, message


@pytest.mark.parametrize("zone, language, stored, expected", [
    ("Europe/Oslo", "en", (2026, 11, 30, 7, 31), "Nov 30, 2026, 8:31\u202fAM CET"),
    ("Europe/Oslo", "nb", (2026, 7, 30, 7, 31), "30. juli 2026, 09:31 CEST"),
    ("Europe/Warsaw", "pl", (2026, 11, 30, 23, 30), "1 gru 2026, 00:30 CET"),
    ("UTC", "en", (2026, 11, 30, 23, 30), "Nov 30, 2026, 11:30\u202fPM UTC"),
])
def test_a_moment_reads_in_the_readers_zone_with_the_zone_named(zone, language, stored, expected):
    from datetime import datetime

    from i18n.formatting import day, in_zone, when

    with in_zone(zone):
        shown = when(datetime(*stored), locale=language)
        assert shown.replace(" AM", "\u202fAM").replace(" PM", "\u202fPM") == expected
        assert day(datetime(*stored), locale=language) == shown.rsplit(", ", 1)[0], "the moment's own day"


def test_zones_by_country_and_a_bad_setting_is_named():
    from i18n.formatting import check_zone, zone_for

    assert (zone_for("NO"), zone_for("pl"), zone_for("GB", "UTC")) == ("Europe/Oslo", "Europe/Warsaw", "UTC")
    with pytest.raises(ValueError, match="SETTLE_TIME_ZONE"):
        check_zone("Mars/Olympus")


@pytest.mark.parametrize("text, expected", [
    ("Invoices billed to Wisła Sp. z o.o..", "Invoices billed to Wisła Sp. z o.o."),
    ("Wait...", "Wait..."), ("A. B.", "A. B."), ("", ""),
])
def test_a_sentence_ends_in_one_period(text, expected):
    from i18n.formatting import sentence

    assert sentence(text) == expected
