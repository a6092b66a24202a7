"""A reader's journey in a real headless Chromium (Debian's), driven by Playwright.

Needs /usr/bin/chromium (`.ci/run` installs it); outside CI a machine without
it skips, saying so. Screenshots go to SCREENSHOT_DIR (default
.data/screenshots).
"""

import os
import shutil
from contextlib import contextmanager
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
def browser(monkeypatch):
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
        yield browser
        browser.close()


@contextmanager
def new_page(browser, width: int, height: int = 1000):
    """A page of that viewport; no JavaScript error may happen on it."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.close()
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def page(browser):
    with new_page(browser, 1400) as page:
        yield page


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", REPO_ROOT / ".data" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_reader_browses_the_dashboard(scanned, live_server, page):
    shots = screenshot_dir()
    page.goto(
        f"{live_server.url}/p/demo-web/"
    )  # waits for "load": deferred htmx has run
    # Mark the document: a full reload would lose the mark.
    page.evaluate("document.body.dataset.sameDocument = 'yes'")
    page.screenshot(path=shots / "overview.png", full_page=True)

    auth = "auth in 1.1: async-native, 1 public async APIs"
    page.get_by_role("link", name=auth).click()
    page.wait_for_selector('#cell-detail a[title="pkg.auth.aauthenticate"]')
    assert page.evaluate("document.body.dataset.sameDocument") == "yes"
    assert "/p/demo-web/?component=auth&release=1.1" in page.url
    page.screenshot(path=shots / "overview-detail.png", full_page=True)

    # Active search: type, wait for the debounced fragment, open the history.
    page.goto(f"{live_server.url}/p/demo-web/search/")
    page.get_by_label("Function name").fill("aauthenticate")
    result = page.get_by_role("link", name="pkg.auth.aauthenticate")
    result.wait_for()
    assert "q=aauthenticate" in page.url
    result.click()
    page.wait_for_selector("#history-title")
    history = page.locator("section:has(#history-title) tbody tr")
    assert history.count() >= 4
    assert "async-native" in history.first.inner_text()

    page.goto(f"{live_server.url}/p/demo-web/components/auth/")
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

    page.goto(
        f"{live_server.url}/p/demo-web/releases/1.1/pairs/pkg.auth.aauthenticate/"
    )
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
        "/p/demo-web/releases/1.2/functions/pkg.markup.render/",
        "/p/demo-web/releases/1.2/pairs/pkg.markup.arender/",
        "/p/demo-web/search/?q=render",
        "/p/demo-web/releases/1.2/",
    ]:
        page.goto(live_server.url + path)
        assert page.locator("main img").count() == 0, path
        assert page.locator("main script").count() == 0, path
        assert page.locator("main [hx-get='/p/demo-web/scans/start/']").count() == 0, (
            path
        )
    page.goto(live_server.url + "/p/demo-web/releases/1.2/functions/pkg.markup.render/")
    assert "<script>alert('source')</script>" in page.locator("main").inner_text()
    assert dialogs == []


def _box_inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 1
        and inner["y"] >= outer["y"] - 1
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1
    )


def _list_length(page, kind: str) -> int:
    """How many rows the list a headline opened shows."""
    if kind == "tests":
        counted = sum(int(t) for t in page.locator("td.doubled").all_inner_texts())
        assert page.locator("ul.doubled-tests li").count() == counted
        return counted
    if kind == "one-sided":
        return page.locator("#change-list a[href*='/pairs/']").count()
    rows = page.locator("#function-list tbody tr, #pair-list tbody tr")
    return rows.count() - page.locator("td[colspan]").count()


@pytest.mark.parametrize("width", [1400, 390])
def test_the_overview_at_desktop_and_phone_width(scanned, live_server, browser, width):
    """The newest release in view, header row and component column sticky,
    a chosen cell's detail focused, every headline link on a list whose
    length is the figure."""
    shots = screenshot_dir()
    with new_page(browser, width) as page:
        page.goto(f"{live_server.url}/p/demo-web/?points=on&snapshots=on")
        viewport = {"x": 0, "y": 0, "width": width, "height": 1000}
        scroller = page.locator(".matrix-scroll")
        newest = page.locator(".matrix thead th.newest")
        assert "main" in newest.inner_text()  # the snapshot is the newest column
        # Below the headlines on a phone: scrolled to, but never sideways.
        scroller.evaluate("el => window.scrollTo(0, el.offsetTop)")
        assert page.evaluate("window.scrollX") == 0
        assert scroller.evaluate("el => el.scrollLeft") == 0
        assert _box_inside(newest.bounding_box(), viewport)
        assert _box_inside(newest.bounding_box(), scroller.bounding_box())
        # Scrolled down and right (the matrix made short so that it scrolls
        # both ways), the header row and the component column stay in view.
        scroller.evaluate("el => { el.style.maxHeight = '5.5rem'; }")
        scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
        scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        assert scroller.evaluate("el => el.scrollTop") > 0
        frame = scroller.bounding_box()
        corner = page.locator(".matrix thead th.corner").bounding_box()
        assert _box_inside(corner, frame)
        last_row = page.locator(".matrix tbody:not(.folded) tr").last
        assert _box_inside(last_row.locator("th").bounding_box(), frame)
        assert _box_inside(newest.bounding_box(), frame)
        if width < 1000:
            assert scroller.evaluate("el => el.scrollLeft") > 0  # it did scroll
        page.screenshot(path=shots / f"overview-{width}.png", full_page=True)

        # Choosing a cell moves focus to its detail; the URL is the cell's.
        page.goto(f"{live_server.url}/p/demo-web/")
        cell = page.locator("a.cell").first
        cell.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#cell-detail.open")
        expect(page.locator("#detail-title")).to_be_focused()
        assert "component=" in page.url and "release=" in page.url
        detail = page.locator("#cell-detail").bounding_box()
        assert _box_inside({**detail, "height": 1}, viewport)  # where the reader is
        page.screenshot(path=shots / f"overview-detail-{width}.png")

        # Every headline figure opens a list of exactly that length.
        page.goto(f"{live_server.url}/p/demo-web/")
        links = page.locator(".headline dd > a")
        targets = [(a.inner_text(), a.get_attribute("href")) for a in links.all()]
        assert len(targets) == 10
        for value, href in targets:
            page.goto(live_server.url + href)
            kind = (
                "tests" if "/tests/" in href
                else "one-sided" if "one-sided" in href
                else "list"
            )  # fmt: skip
            assert _list_length(page, kind) == int(value), href
            if kind == "list":
                assert page.locator("strong.count").inner_text() == value, href


def _site_pages(client) -> list[str]:
    """Every page reachable from the overview by internal links (GET)."""
    import re
    from html import unescape

    seen, queue, pages = set(), ["/"], []
    while queue:
        url = queue.pop()
        if url in seen or len(seen) > 400:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        if "text/html" not in response["Content-Type"]:
            continue
        html = response.content.decode()
        if '<header class="site">' in html:
            pages.append(url)
        for href in re.findall(r'href="([^"#]*)', html):
            href = unescape(href)
            if href.startswith("?"):
                href = url.split("?")[0] + href
            if href.startswith("/") and not href.startswith(("//", "/admin/")):
                queue.append(href)
    return pages


def test_every_internal_link_answers_and_no_page_overflows_a_phone(
    scanned, live_server, browser
):
    from django.test import Client

    pages = _site_pages(Client())
    assert len(pages) > 30
    shots = screenshot_dir()
    with new_page(browser, 390, 844) as page:
        for url in pages:
            page.goto(live_server.url + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{url} is {width} px wide at 390 px"
        page.goto(live_server.url + "/p/demo-web/")
        page.screenshot(path=shots / "overview-390-top.png")
        page.goto(live_server.url + "/")
        page.screenshot(path=shots / "home-390.png")


def test_a_table_wider_than_the_phone_shows_which_side_has_more(
    scanned, live_server, browser
):
    """The home table scrolls sideways at 390 px: a shadow marks the hidden
    side (classes more-left/more-right), and none at 1400 px."""
    classes = "el => [...el.classList].filter(c => c.startsWith('more-')).sort()"
    with new_page(browser, 390, 844) as page:
        page.goto(live_server.url + "/")
        box = page.locator(".scroll:has(table.projects)")
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")
        assert box.evaluate(classes) == ["more-right"]
        assert "inset" in box.evaluate("el => getComputedStyle(el).boxShadow")
        box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        page.wait_for_function(
            "el => el.classList.contains('more-left')", arg=box.element_handle()
        )
        assert box.evaluate(classes) == ["more-left"]
    with new_page(browser, 1400) as page:
        page.goto(live_server.url + "/")
        box = page.locator(".scroll:has(table.projects)")
        assert box.evaluate(classes) == []
        assert box.evaluate("el => getComputedStyle(el).boxShadow") == "none"
