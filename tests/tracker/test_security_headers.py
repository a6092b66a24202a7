"""Security headers on every page, and Swagger UI's page within the CSP.

The lead's pages and API land on main; these URLs are the ones this branch
has, plus a Swagger UI of django-ninja's, served the way /api/v1/docs is.
"""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import path
from ninja import NinjaAPI

from tracker.config.urls import urlpatterns as project_urlpatterns

probe_api = NinjaAPI(title="CSP probe", urls_namespace="csp-probe")


@probe_api.get("/ping")
def ping(request) -> dict:
    return {"pong": True}


urlpatterns = [
    *project_urlpatterns,
    path("probe-api/", probe_api.urls),
]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

PAGES = [
    "/healthz/",
    "/admin/login/",
    "/admin/",  # a redirect to the login page
    "/no-such-page/",  # a 404
    "/probe-api/docs",
    "/probe-api/openapi.json",
]


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("url", PAGES)
def test_every_response_carries_the_security_headers(client: Client, url) -> None:
    response = client.get(url)

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no CDN
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_a_staff_page_carries_them_too(client: Client) -> None:
    client.force_login(User.objects.create_superuser("admin", "a@example.com", "x"))

    response = client.get("/admin/")

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


def test_production_adds_hsts_and_secure_cookies(client: Client, settings) -> None:
    """The production values of settings.py (see test_settings), on HTTPS."""
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True

    response = client.get("/admin/login/", secure=True)

    assert response["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert response.cookies["csrftoken"]["secure"] is True
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


class PageParts(HTMLParser):
    """What a page asks the browser to run or load."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.stylesheets: list[str] = []
        self.inline_styles = 0
        self.event_handlers: list[str] = []
        self._in_script: dict | None = None

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        self.event_handlers += [name for name in attributes if name.startswith("on")]
        if "style" in attributes:
            self.inline_styles += 1
        if tag == "script":
            self._in_script = {**attributes, "body": ""}
            self.scripts.append(self._in_script)
        elif tag == "style":
            self.inline_styles += 1
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"])

    def handle_data(self, data) -> None:
        if self._in_script is not None:
            self._in_script["body"] += data

    def handle_endtag(self, tag) -> None:
        if tag == "script":
            self._in_script = None


def test_swagger_ui_runs_only_same_origin_files(client: Client) -> None:
    """Under script-src 'self' Swagger UI needs every script to be a file of ours.

    Its settings ride in a JSON data block, which browsers do not execute;
    its stylesheet's icons are data: images, which img-src allows.
    """
    response = client.get("/probe-api/docs")
    page = PageParts()
    page.feed(response.content.decode())

    assert response.status_code == 200
    executable = [s for s in page.scripts if s.get("type") != "application/json"]
    sources = [script.get("src") for script in executable]
    assert sources == [
        "/static/ninja/swagger-ui-bundle.js",
        "/static/ninja/swagger-ui-init.js",
    ]
    assert all(not script["body"].strip() for script in executable)
    assert page.event_handlers == []
    assert page.inline_styles == 0
    assert page.stylesheets == ["/static/ninja/swagger-ui.css"]
    for url in [*sources, *page.stylesheets]:
        served = client.get(url)
        assert served.status_code == 200, url
        assert served["X-Content-Type-Options"] == "nosniff"
    assert "img-src 'self' data:" in response["Content-Security-Policy"]
    assert "connect-src 'self'" in response["Content-Security-Policy"]
