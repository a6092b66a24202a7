"""Every page and API answer carries the security headers (the browser test
shows the pages work under that policy), and the admin has no default user."""

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db

URLS = [
    "/",
    "/p/demo-web/?component=auth&release=1.1",
    "/p/demo-web/components/auth/",
    "/p/demo-web/releases/1.1/",
    "/p/demo-web/releases/1.1/functions/pkg.auth.aauthenticate/",
    "/p/demo-web/releases/1.1/pairs/pkg.auth.aauthenticate/",
    "/p/demo-web/one-sided-changes/",
    "/p/demo-web/search/?q=auth",
    "/p/demo-web/scans/",
    "/api/v1/releases",
    "/api/v1/docs",
    "/robots.txt",
]


@pytest.mark.parametrize("url", URLS)
def test_security_headers_on_every_page(scanned, client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url", URLS[:-3])
def test_pages_have_no_inline_script(scanned, client, url):
    html = client.get(url).content.decode()
    for chunk in html.split("<script")[1:]:
        tag = chunk.split(">", 1)[0]
        assert " src=" in tag or 'type="application/json"' in tag, tag


def test_the_admin_has_no_default_account():
    """The database the migrations build holds no user to log in as."""
    assert not User.objects.exists()
