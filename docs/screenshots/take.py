"""Screenshots of each page at 1400 and 390 px, in Debian's Chromium.

Serve the site on real data first (Django 3.0 to 6.1 as `make run` scans
them, and httpcore 1.0.8 and 1.0.9 as `make demo-projects` imports them),
then: `.venv/bin/python docs/screenshots/take.py http://127.0.0.1:8123`.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
P = "/p/django"
PAGES = {
    "home": "/",
    "overview": P + "/",
    "overview-detail": P + "/?component=contrib.sessions&release={newest}#cell-detail",
    "component": P + "/components/contrib.sessions/",
    "function": P + "/releases/{newest}/functions/"
    "django.contrib.sessions.backends.db.SessionStore.aload/",
    "pair": P + "/releases/{newest}/pairs/django.contrib.auth.backends.ModelBackend"
    ".aauthenticate/",
    "release": P + "/releases/{newest}/",
    "functions-reach-thread": P + "/releases/{newest}/functions/"
    "?is_async=yes&public=yes&closure=no&reaches=thread",
    "one-sided-changes": P + "/one-sided-changes/",
    "components": P + "/components/",
    "search": P + "/search/?q=aget",
    "not-found": "/no/such/page/",
}
# httpcore: twins across modules (_async/ generates _sync/ with unasync).
H = "/p/httpcore"
POOL = "httpcore._async.connection_pool.AsyncConnectionPool"
HTTPCORE_PAGES = {
    "httpcore-overview": H + "/",
    "httpcore-pair": H + "/releases/{newest}/pairs/" + POOL + ".handle_async_request/",
    "httpcore-pair-divergent": H + "/releases/{newest}/pairs/"
    "httpcore._models.Response.aiter_stream/",
    "httpcore-function": H
    + "/releases/{newest}/functions/"
    + POOL
    + ".handle_async_request/",
    "httpcore-release": H + "/releases/{newest}/",
    "httpcore-pairs": H + "/releases/{newest}/pairs/",
    "httpcore-components": H + "/components/",
}


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        for width in (1400, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            for project, pages in (("django", PAGES), ("httpcore", HTTPCORE_PAGES)):
                page.goto(f"{base}/api/v1/projects/{project}/summary")
                newest = page.evaluate("JSON.parse(document.body.innerText).release")
                for name, path in pages.items():
                    page.goto(base + path.format(newest=newest))
                    full = name not in ("overview-detail",)
                    page.screenshot(path=HERE / f"{name}-{width}.png", full_page=full)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1])
