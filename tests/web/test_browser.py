"""A reader's journey in a real headless Chromium (Debian's), driven by Playwright.

Needs /usr/bin/chromium (`.ci/run` installs it); outside CI a machine without
it skips, saying so. Screenshots go to SCREENSHOT_DIR (default
.data/screenshots).
"""

import os
import shutil
from pathlib import Path

import pytest
from conftest import scanned_demo
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
REPO_ROOT = Path(__file__).resolve().parents[2]
FLAGS = [
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scanned(tmp_path, django_db_setup, django_db_blocker):
    """Scanned for each test: the live server's tests flush the database."""
    with scanned_demo(tmp_path, django_db_blocker) as project:
        yield project


@pytest.fixture
def page(monkeypatch):
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI", "").lower() in {"1", "true"}:
            pytest.fail(f"CI needs Debian's chromium at {CHROMIUM}")
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of
    # the fixtures and the live server are synchronous and safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=FLAGS,  # Playwright gives it a new, empty profile
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        browser.close()
    assert errors == [], f"JavaScript errors: {errors}"


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", REPO_ROOT / ".data" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_reader_browses_the_dashboard(scanned, live_server, page):
    shots = screenshot_dir()
    page.goto(f"{live_server.url}/")  # waits for "load": deferred htmx has run
    # Mark the document: a full reload would lose the mark.
    page.evaluate("document.body.dataset.sameDocument = 'yes'")
    page.screenshot(path=shots / "overview.png", full_page=True)

    page.get_by_role("link", name="auth in 1.1: async-native").click()
    page.wait_for_selector("#cell-detail >> text=pkg.auth.aauthenticate")
    assert page.evaluate("document.body.dataset.sameDocument") == "yes"
    assert "/?component=auth&release=1.1" in page.url
    page.screenshot(path=shots / "overview-detail.png", full_page=True)

    # Active search: type, wait for the debounced fragment, open the history.
    page.goto(f"{live_server.url}/search/")
    page.get_by_label("Function name").fill("aauthenticate")
    result = page.get_by_role("link", name="pkg.auth.aauthenticate")
    result.wait_for()
    assert "q=aauthenticate" in page.url
    result.click()
    page.wait_for_selector("#history-title")
    history = page.locator("section:has(#history-title) tbody tr")
    assert history.count() >= 4
    assert "async-native" in history.first.inner_text()

    page.goto(f"{live_server.url}/components/auth/")
    page.wait_for_selector("canvas[data-drawn='1']")  # Chart.js drew the trends
    page.evaluate("document.body.dataset.sameDocument = 'yes'")
    page.locator("select[name=kind]").select_option("sync")
    # The async function's row goes, in place. (Locators, not wait_for_function:
    # the page's CSP forbids the eval that a string predicate needs.)
    expect(
        page.locator('#function-table a[href$="auth.aauthenticate/"]')
    ).to_have_count(0)
    assert page.evaluate("document.body.dataset.sameDocument") == "yes"
    assert "kind=sync" in page.url
    page.screenshot(path=shots / "component.png", full_page=True)

    page.goto(f"{live_server.url}/releases/1.1/pairs/pkg.auth.aauthenticate/")
    changed = page.locator("td.diff-changed")
    assert changed.count() >= 2
    assert any("strip" in text for text in changed.all_inner_texts())
    colour = changed.first.evaluate("cell => getComputedStyle(cell).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")  # highlighted
    page.screenshot(path=shots / "pair.png", full_page=True)


def test_markup_in_scanned_code_stays_text_in_the_browser(scanned, live_server, page):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in [
        "/releases/1.2/functions/pkg.markup.render/",
        "/releases/1.2/pairs/pkg.markup.arender/",
        "/search/?q=render",
        "/releases/1.2/",
    ]:
        page.goto(live_server.url + path)
        assert page.locator("main img").count() == 0, path
        assert page.locator("main script").count() == 0, path
        assert page.locator("main [hx-get='/scans/start/']").count() == 0, path
    page.goto(live_server.url + "/releases/1.2/functions/pkg.markup.render/")
    assert "<script>alert('source')</script>" in page.locator("main").inner_text()
    assert dialogs == []
