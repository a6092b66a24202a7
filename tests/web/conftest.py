"""Real scanned data for the web tests: a small mirror, scanned once per module.

The demo repository (tests/repo_builder.py) has three tagged releases with a
cache, an ORM and an auth module: thread hops, an `aauthenticate` twin, and a
one-sided change in 1.1. On top, a module whose docstrings and source lines
carry markup, to show that everything from scanned code is escaped.
"""

from contextlib import contextmanager

import pytest
from django.core.cache import cache, caches
from django.db import connection
from repo_builder import RELEASES, demo_project, make_repo, site_for
from services import _skip_or_fail

from tracker.config.celery import app as celery_app
from tracker.scanning import requests, weekly

HOSTILE = '''
    """<script>alert("docstring")</script>"""


    def render(value):
        """"><img src=x onerror=alert(1)> hx-get="/scans/start/" """
        return "<script>alert('source')</script>" + value


    async def arender(value):
        """"><img src=x onerror=alert(1)> hx-get="/scans/start/" """
        return "<script>alert('source')</script>" + value
'''

# A decorator defining its wrapper once per branch, a sync and an async def
# of one name: two functions, unchanged from 1.1 to 1.2.
BRANCHES = """
    import asyncio


    def decorate(view):
        if asyncio.iscoroutinefunction(view):
            async def _wrapper(request):
                return await view(request)
        else:
            def _wrapper(request):
                return view(request)
        return _wrapper
"""

WEB_RELEASES = {
    **RELEASES,
    "1.1": {**RELEASES["1.1"], "pkg/views.py": BRANCHES},
    "1.2": {**RELEASES["1.2"], "pkg/markup.py": HOSTILE},
    "1.2.1": {"pkg/extra.py": "def helper():\n    return 2\n"},
}


@contextmanager
def scanned_demo(root, django_db_blocker):
    """The demo project with releases 1.0, 1.1, 1.2, 1.2.1 and a snapshot of
    main scanned, shown by the site; removed again on the way out."""
    with site_for(
        "demo-web",
        django_db_blocker,
        DATA_DIR=root / "data",
        ASYNCDASH_PROJECT="demo-web",
    ):
        with django_db_blocker.unblock():
            project = demo_project(
                make_repo(root / "upstream", WEB_RELEASES), slug="demo-web"
            )
            targets = [requests.Target(version=v, ref=v) for v in WEB_RELEASES]
            scans = requests.scans_request(project=project, targets=targets)
            scans.append(weekly.main_snapshot_request(project=project))
            for scan in scans:
                scan.refresh_from_db()
                assert scan.status == "done", scan.error
        yield project


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, django_db_setup, django_db_blocker):
    """Scanned once per module: tests that roll back their transaction share it."""
    with scanned_demo(tmp_path_factory.mktemp("web"), django_db_blocker) as project:
        yield project


@pytest.fixture(scope="module")
def scanned_services(tmp_path_factory, django_db_setup, django_db_blocker):
    """`scanned` on PostgreSQL, for the services run: its scans run in this
    process (with REDIS_URL set they would wait for a worker)."""
    if connection.vendor != "postgresql":
        _skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        root = tmp_path_factory.mktemp("web")
        with scanned_demo(root, django_db_blocker) as project:
            yield project
    finally:
        celery_app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test renders afresh: query counts measure the real work. No rate
    limits, but in the tests of the rate limits (test_rate_limit*.py)."""
    cache.clear()
    caches["local"].clear()
    settings.ASYNCDASH_API_RATE = ""
    settings.ASYNCDASH_PAGE_RATE = ""
