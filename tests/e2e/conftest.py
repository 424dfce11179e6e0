"""Browser-suite helpers: sign in as a demo user, check a page with axe-core, save screenshots."""
from contextlib import contextmanager
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
DEMO_PASSWORD = "demo-Passw0rd"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def sign_in(page, email="kari@fjordbutikken.example", password=DEMO_PASSWORD):
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/invoices**")


def assert_accessible(page, name):
    """axe-core finds no serious or critical violation on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    summary = "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
                        for v in bad)
    assert not bad, f"axe-core on {name}:\n{summary}"


def screenshot(page, name):
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)


@contextmanager
def fresh_pages(browser, base_url):
    """Yields a function that opens a page in a fresh browser profile (own cookies, English) on `base_url`,
    as often as a test needs one (one per user); every profile is closed afterwards."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=base_url, locale="en-GB", viewport={"width": 1360, "height": 900})
        contexts.append(context)
        return context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()
