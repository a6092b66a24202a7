"""A page's output is bounded whatever the release holds: long lists show
their first 200 items, say how many there are, and link where the rest is.
(Long functions and twin pairs: test_source.py.)"""

import re

import pytest
from django.core.cache import cache, caches
from django.test import override_settings
from repo_builder import demo_project, make_repo, project_remove

from tracker.scanning import requests

pytestmark = pytest.mark.django_db

MANY = 510  # twin pairs: more than a page of 500
BROKEN = 201
RELEASES = {
    "1.0": {"pkg/__init__.py": "", "pkg/cache.py": "def get(key):\n    return key\n"},
    "1.1": {
        "pkg/cache.py": "".join(
            f"def get{i}(key):\n    return key\n\n\n"
            f"async def aget{i}(key):\n    return key\n\n\n"
            for i in range(MANY)
        ),
        # An unknown encoding: recorded as a parse error, with no parser run.
        **{f"pkg/broken{i}.py": "# coding: bogus\n" for i in range(BROKEN)},
    },
}


@pytest.fixture(scope="module")
def crowded(tmp_path_factory, django_db_setup, django_db_blocker):
    root = tmp_path_factory.mktemp("crowded")
    overrides = override_settings(DATA_DIR=root / "data", ASYNCDASH_PROJECT="crowded")
    overrides.enable()
    with django_db_blocker.unblock():
        project = demo_project(make_repo(root / "upstream", RELEASES), slug="crowded")
        targets = [requests.Target(version=v, ref=v) for v in RELEASES]
        for scan in requests.scans_request(project=project, targets=targets):
            scan.refresh_from_db()
            assert scan.status == "done", scan.error
    cache.clear()
    caches["local"].clear()
    yield project
    with django_db_blocker.unblock():
        project_remove("crowded")
    overrides.disable()


def section(html: str, heading: str) -> str:
    """From a heading to the next heading."""
    start = html.index(heading)
    return html[start : html.index("<h", start + len(heading))]


def test_the_release_page_shows_the_first_200_of_each_list(crowded, client):
    html = client.get("/p/crowded/releases/1.1/").content.decode()
    new = section(html, f"New public async APIs ({MANY})")
    assert new.count("<li>") == 200
    assert f"The first 200 of {MANY}" in new
    assert 'href="/api/v1/projects/crowded/compare?base=1.0&amp;head=1.1"' in new
    failures = section(html, f"Files that did not parse ({BROKEN})")
    assert failures.count("<li>") == 200
    assert f"The first 200 of {BROKEN}" in failures


def test_a_cells_detail_shows_the_first_200_functions(crowded, client):
    html = client.get("/p/crowded/?component=cache&release=1.1").content.decode()
    detail = html[html.index('id="cell-detail"') :]
    assert (
        len(re.findall(r'<li><a href="/p/crowded/releases/1.1/functions/', detail))
        == 200
    )
    assert f"The first 200 of {MANY}" in detail
    link = "/p/crowded/components/cache/?release=1.1&amp;is_async=yes&amp;public=yes"
    assert f'href="{link}"' in detail
    assert client.get(link.replace("&amp;", "&")).status_code == 200


def test_the_twin_pairs_list_comes_in_pages(crowded, client):
    html = client.get("/p/crowded/releases/1.1/pairs/").content.decode()
    assert f'<strong class="count">{MANY}</strong>' in html
    assert html.count('<a href="/p/crowded/releases/1.1/pairs/pkg.cache.aget') == 500
    assert 'rel="next" href="?page=2"' in html
    rest = client.get("/p/crowded/releases/1.1/pairs/?page=2").content.decode()
    assert (
        rest.count('<a href="/p/crowded/releases/1.1/pairs/pkg.cache.aget')
        == MANY - 500
    )
