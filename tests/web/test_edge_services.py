"""NUL bytes on PostgreSQL, which refuses them in any string (SQLite does
not): every route, the path, the query and the cookies."""

import pytest
from django.db import connection
from routes import PAGES, api_urls
from services import _skip_or_fail
from test_edge import control_variants

from tracker.config.celery import app as celery_app

pytestmark = [pytest.mark.services, pytest.mark.django_db]

# The URLs the issue found answering 500 on PostgreSQL.
REPORTED = [
    "/api/v1/functions?name=%00",
    "/releases/%00/",
    "/components/%00/",
    "/api/v1/compare?head=%00",
    "/releases/1.1/functions/%00/",
    "/releases/1.1/pairs/%00/",
    "/api/v1/releases/%00",
    "/search/?q=%00",
]


@pytest.fixture(scope="module", autouse=True)
def _postgresql_and_tasks_in_process():
    """The scanned fixture runs its scans in this process, on PostgreSQL."""
    if connection.vendor != "postgresql":
        _skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.mark.parametrize("url", REPORTED)
def test_the_reported_urls_are_a_400(scanned, client, url):
    assert client.get(url).status_code == 400


def test_no_control_character_anywhere_is_a_500(scanned, client):
    for url in [*PAGES.values(), *api_urls()]:
        for variant in control_variants(url):
            assert client.get(variant).status_code == 400, variant


def test_a_nul_in_the_session_cookie_is_a_400(scanned, client):
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    assert client.get("/releases/1.1/").status_code == 400
