"""NUL bytes on PostgreSQL, which refuses them in any string (SQLite does
not): every route, the path, the query and the cookies."""

import pytest
from routes import PAGES, api_urls
from test_edge import control_variants

pytestmark = [pytest.mark.services, pytest.mark.django_db]

# The URLs the issue found answering 500 on PostgreSQL.
REPORTED = [
    "/api/v1/functions?name=%00",
    "/p/demo-web/releases/%00/",
    "/p/demo-web/components/%00/",
    "/api/v1/compare?head=%00",
    "/p/demo-web/releases/1.1/functions/%00/",
    "/p/demo-web/releases/1.1/pairs/%00/",
    "/api/v1/releases/%00",
    "/p/demo-web/search/?q=%00",
]


@pytest.mark.parametrize("url", REPORTED)
def test_the_reported_urls_are_a_400(scanned_services, client, url):
    assert client.get(url).status_code == 400


def test_no_control_character_anywhere_is_a_500(scanned_services, client):
    for url in [*PAGES.values(), *api_urls()]:
        for variant in control_variants(url):
            assert client.get(variant).status_code == 400, variant


def test_a_nul_in_the_session_cookie_is_a_400(scanned_services, client):
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    assert client.get("/p/demo-web/releases/1.1/").status_code == 400
