"""Projects in the site and the API: the home page, the switcher, the paths
from before projects had paths, `/api/v1/projects`, caching per project."""

import re

import pytest
from django.contrib.auth.models import User

from tracker.models import Project, Release

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    html = re.sub(
        r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S
    )
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def second(scanned):
    """A second tracked project, nothing scanned yet."""
    return Project.objects.create(
        slug="later", name="Later", pypi_package="later", package_dir="later"
    )


def test_home_lists_every_project_with_its_figures(scanned, second, client):
    response = client.get("/")
    assert response.status_code == 200
    text = text_of(response)
    row = re.search(
        r"Demo-Web 1\.2\.1 \(4 scanned\) (\d+) (\d+) (\d+) (\d+ %) (\d+)", text
    )
    assert row, text
    api = client.get("/api/v1/projects").json()
    demo = next(p for p in api if p["slug"] == "demo-web")
    assert row.groups() == (
        str(demo["public_async"]),
        str(demo["twin_pairs"]),
        str(demo["duplicated_lines"]),
        f"{demo['derivable_share'] * 100:.0f} %",
        str(demo["one_sided"]),
    )
    assert demo["newest"] == "1.2.1" and demo["twin_pairs"] > 0
    assert demo["git_url"] == ""  # a local path is not shown
    assert demo["page"].endswith("/p/demo-web/")
    later = next(p for p in api if p["slug"] == "later")
    assert later["newest"] is None and later["derivable_share"] is None
    assert "Later no release scanned yet" in text


def test_every_figure_on_the_home_page_is_a_link_that_answers(scanned, client):
    html = client.get("/").content.decode()
    links = set(re.findall(r'href="(/p/[^"]+)"', html))
    assert len(links) >= 6
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_the_switcher_links_every_project(scanned, second, client):
    html = client.get("/p/demo-web/components/").content.decode()
    switcher = re.search(r'<details class="switcher">.*?</details>', html, re.S)
    assert switcher, html[:2000]
    assert 'href="/p/later/"' in switcher.group()
    assert 'href="/p/demo-web/" aria-current="page"' in switcher.group()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/components/auth/?release=1.1", "/p/demo-web/components/auth/?release=1.1"),
        ("/releases/1.1/pairs/", "/p/demo-web/releases/1.1/pairs/"),
        (
            "/one-sided-changes/?release=1.1",
            "/p/demo-web/one-sided-changes/?release=1.1",
        ),
        ("/?component=auth&release=1.1", "/p/demo-web/?component=auth&release=1.1"),
        ("/search/?q=a%26b", "/p/demo-web/search/?q=a%26b"),
    ],
)
def test_the_old_page_urls_redirect_to_the_default_project(scanned, client, old, new):
    response = client.get(old)
    assert (response.status_code, response["Location"]) == (301, new)
    assert client.get(new).status_code == 200


def test_an_old_post_is_redirected_as_a_post(scanned, client):
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    response = client.post("/scans/start/", {"version": "1.1"})
    assert (response.status_code, response["Location"]) == (
        308,
        "/p/demo-web/scans/start/",
    )


def test_the_old_api_paths_answer_for_the_default_project(scanned, client):
    old = client.get("/api/v1/releases/1.1")
    new = client.get("/api/v1/projects/demo-web/releases/1.1")
    assert old.status_code == new.status_code == 200
    assert old.json() == new.json()
    assert old["ETag"] != new["ETag"]  # the ETag keys on the path asked


def test_an_unknown_project_is_a_404_in_the_api_and_the_pages(scanned, client):
    response = client.get("/api/v1/projects/nope/releases")
    assert response.status_code == 404
    assert response.json() == {"detail": "no project 'nope'"}
    assert client.get("/api/v1/projects/no%20pe/releases").status_code in (400, 404)
    assert client.get("/p/nope/components/").status_code == 404


def test_each_project_answers_from_its_own_cache_entry(scanned, second, client):
    """The same path under two projects: two answers, two ETags."""
    demo = client.get("/p/demo-web/components/")
    later = client.get("/p/later/components/")
    assert demo["ETag"] != later["ETag"]
    assert "auth" in text_of(demo) and "No component yet" in text_of(later)
    assert client.get("/api/v1/projects/later/components").json() == []


def test_a_release_of_one_project_keeps_the_others_answers(scanned, second, client):
    """Each project's answers are keyed on its own data version: a release
    written for one changes its ETags and the home page's, not another's."""
    from django.core.cache import caches

    urls = [
        "/p/demo-web/components/",
        "/api/v1/projects/demo-web/releases",
        "/api/v1/releases",  # the old path: the default project's, demo-web
        "/p/later/components/",
        "/api/v1/projects/later/releases",
        "/",
        "/api/v1/projects",
    ]
    before = {url: client.get(url)["ETag"] for url in urls}
    Release.objects.create(
        project=second, version="1.0", tag="1.0", commit="0" * 40, is_feature=True
    )
    caches["local"].clear()  # as the data version's 2 s running out would
    after = {url: client.get(url)["ETag"] for url in urls}
    changed = {url for url in urls if before[url] != after[url]}
    assert changed == set(urls[3:])


def test_a_pair_across_twin_modules_shows_each_side_from_its_file(scanned, client):
    """A pair whose sync side lives in another module (as httpcore's
    _sync/ twin of _async/): each side is read from its own file, and a
    generated side is said to be."""
    from tracker.models import TwinPairStat

    pair = TwinPairStat.objects.get(
        release__project=scanned,
        release__version="1.1",
        module="pkg.cache",
        async_qualname="BaseCache.aget",
    )
    pair.sync_module, pair.sync_qualname = "pkg.db", "QuerySet.get"
    pair.generated_side = "sync"
    pair.save()
    url = "/p/demo-web/releases/1.1/pairs/pkg.cache.BaseCache.aget/"
    response = client.get(url)
    html, text = response.content.decode(), text_of(response)
    assert "the sync side is generated" in text
    assert "<code>pkg.db</code> (sync)" in html
    sides = re.search(r'<div class="sides">.*?</div>\s*</section>', html, re.S).group()
    # QuerySet.get(self, **kw) of pkg/db.py beside BaseCache.aget of pkg/cache.py.
    assert '<span class="n">kw</span>' in sides and "sync_to_async" in sides
    # Each side's page links to the pair, naming the twin in its module.
    sync_page = client.get("/p/demo-web/releases/1.1/functions/pkg.db.QuerySet.get/")
    assert f'href="{url}"><code>pkg.cache.BaseCache.aget</code>' in (
        sync_page.content.decode()
    )
    async_page = client.get(
        "/p/demo-web/releases/1.1/functions/pkg.cache.BaseCache.aget/"
    ).content.decode()
    assert f'href="{url}"><code>pkg.db.QuerySet.get</code>' in async_page
    listed = client.get("/p/demo-web/releases/1.1/pairs/").content.decode()
    assert "pkg.db.QuerySet.get" in listed and "sync side generated" in listed
    api = client.get("/api/v1/projects/demo-web/pairs?release=1.1").json()["items"]
    row = next(p for p in api if p["async_qualname"] == "BaseCache.aget")
    assert (row["sync_module"], row["generated_side"]) == ("pkg.db", "sync")
