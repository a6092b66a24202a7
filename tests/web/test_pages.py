"""Every page on real scanned data, its query bound, htmx fragments and the
no-JavaScript reading path."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tracker.models import Scan

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def text_of(response) -> str:
    """The page's text without tags, spaces folded: what a reader sees."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def get(client, url, django_assert_max_num_queries, *, queries, **kwargs):
    with django_assert_max_num_queries(queries):
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.content[:500]
    return response


def test_overview_shows_headlines_and_the_matrix(
    scanned, client, django_assert_max_num_queries
):
    page = get(client, "/p/demo-web/", django_assert_max_num_queries, queries=20)
    text = text_of(page)
    # The newest release, compared with the feature release of the series before.
    assert "Demo-Web 1.2.1 at a glance (change since 1.1)" in text
    assert "public async APIs" in text and "one-sided changes" in text
    html = page.content.decode()
    # 1.2 adds markup.arender: one more public async API than 1.1.
    public_async = r'id="headline-public_async".*?>\d+</a> <span class="change">\+1<'
    assert re.search(public_async, html, re.S)
    # Stage as a word (never colour alone) and the public async count per cell.
    assert 'aria-label="auth in 1.0: async-native, 1 public async APIs"' in html
    assert "auth in 1.2.1" not in html  # point releases only on demand
    assert "main-" not in html


def test_toggles_add_point_releases_and_snapshots(
    scanned, client, django_assert_max_num_queries
):
    page = get(
        client,
        "/p/demo-web/?points=on&snapshots=on",
        django_assert_max_num_queries,
        queries=20,
    )
    html = page.content.decode()
    assert "auth in 1.2.1" in html
    assert re.search(r"auth in main-\d{4}-\d\d-\d\d", html)


def test_a_cell_loads_its_detail_as_a_fragment_for_htmx(
    scanned, client, django_assert_max_num_queries
):
    url = "/p/demo-web/?component=auth&release=1.1"
    fragment = get(client, url, django_assert_max_num_queries, queries=20, headers=HTMX)
    html = fragment.content.decode()
    assert html.lstrip().startswith('<aside id="cell-detail" class="open"')
    assert "<html" not in html
    assert "pkg.auth.aauthenticate" in html
    assert "HX-Request" in fragment["Vary"]
    # The same URL loaded directly renders the whole page with the detail open.
    page = client.get(url)
    assert "<html" in page.content.decode()
    assert 'id="cell-detail"' in page.content.decode()
    assert "pkg.auth.aauthenticate" in page.content.decode()


def test_cells_are_plain_links_that_work_without_javascript(scanned, client):
    html = client.get("/p/demo-web/").content.decode()
    link = re.search(r'<a class="cell [^"]*" href="([^"]+)"', html).group(1)
    page = client.get("/p/demo-web/" + link.replace("&amp;", "&"))
    assert page.status_code == 200
    assert "Public async APIs" in text_of(page)


def test_component_page_has_trends_boundary_and_a_filterable_table(
    scanned, client, django_assert_max_num_queries
):
    page = get(
        client,
        "/p/demo-web/components/auth/",
        django_assert_max_num_queries,
        queries=15,
    )
    text = text_of(page)
    assert "Stage rule: A component is sync-only without async entry points" in text
    entry = text.split("Entry points in 1.2.1:", 1)[1].split("Functions", 1)[0]
    assert "pkg.auth.aauthenticate native" in entry
    assert 'id="chart-data"' in page.content.decode()
    assert "hops in (boundary)" in text and "orm" in text
    assert "pkg.auth.aauthenticate" in text
    fragment = get(
        client,
        "/p/demo-web/components/auth/?release=1.0&kind=sync",
        django_assert_max_num_queries,
        queries=15,
        headers=HTMX,
    )
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="function-table">')
    assert "pkg.auth.authenticate" in html
    assert "pkg.auth.aauthenticate" not in html


@pytest.mark.parametrize(
    "query", ["kind=bogus", "sort=name;DROP TABLE x", "release=9.9", "public=maybe"]
)
def test_a_bad_filter_is_a_400_with_a_message(scanned, client, query):
    response = client.get(f"/p/demo-web/components/auth/?{query}")
    assert response.status_code == 400
    assert response.content.decode().startswith("bad parameter: ")


def test_function_page_shows_chain_source_and_history(
    scanned, client, django_assert_max_num_queries
):
    url = "/p/demo-web/releases/1.1/functions/pkg.cache.BaseCache.aget/"
    page = get(client, url, django_assert_max_num_queries, queries=15)
    html = page.content.decode()
    assert "async-wrapper" in text_of(page)
    # The hop line is marked, numbered, and highlighted by Pygments.
    hop = re.search(r'<tr id="L(\d+)" class="mark-hop">.*?</tr>', html, re.S)
    assert hop and "sync_to_async" in hop.group(0)
    assert '<span class="k">await</span>' in hop.group(0)
    history = text_of(page).split("History", 1)[1]
    assert "1.0" in history and "1.1" in history and "1.2" in history


def test_function_chain_links_down_to_the_hop(scanned, client):
    page = client.get(
        "/p/demo-web/releases/1.0/functions/pkg.cache.BaseCache.aget_many/"
    )
    html = page.content.decode()
    chain = html.split('<ol class="chain">', 1)[1].split("</ol>", 1)[0]
    steps = [
        " ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in chain.split("<li>")[1:]
    ]
    assert steps == [
        "BaseCache.aget_many",
        "BaseCache.aget by type",  # self.aget: the code's own evidence
        "sync_to_async(get) the hop",
    ]
    assert (
        'href="/p/demo-web/releases/1.0/functions/pkg.cache.BaseCache.aget/"' in chain
    )


def test_pair_page_shows_the_difference_and_the_one_sided_change(
    scanned, client, django_assert_max_num_queries
):
    url = "/p/demo-web/releases/1.1/pairs/pkg.auth.aauthenticate/"
    page = get(client, url, django_assert_max_num_queries, queries=20)
    html = page.content.decode()
    # Raw side by side: the changed lines are highlighted on each side.
    assert "diff-changed" in html
    changed = re.findall(r'<td class="code diff-changed"><pre>(.*?)</pre>', html, re.S)
    assert any("strip" in cell for cell in changed)
    # After normalisation, what is left over on each side.
    assert "only in <code>authenticate</code>" in html
    assert 'class="leftover del"' in html
    # History: the one-sided change is marked in 1.1.
    assert re.search(r'<tr class="one-sided"><th scope="row"><a [^>]*>1\.1<', html)


def test_release_page_is_the_changelog(scanned, client, django_assert_max_num_queries):
    page = get(
        client, "/p/demo-web/releases/1.2/", django_assert_max_num_queries, queries=20
    )
    text = text_of(page)
    assert "What changed since 1.1" in text
    assert "New public async APIs (1)" in text
    assert "pkg.markup.arender" in text
    assert "New twin pairs (1)" in text
    one_sided = text_of(client.get("/p/demo-web/releases/1.1/"))
    assert "One-sided changes (1)" in one_sided
    assert (
        "pkg.auth.aauthenticate / authenticate : only the sync side changed"
        " possible missed port" in one_sided
    )


def test_one_sided_changes_page_lists_them_newest_first(
    scanned, client, django_assert_max_num_queries
):
    page = get(
        client,
        "/p/demo-web/one-sided-changes/",
        django_assert_max_num_queries,
        queries=5,
    )
    text = text_of(page)
    assert "1.1 since 1.0" in text
    assert "pkg.auth.aauthenticate / authenticate : only the sync side changed" in text


def test_search_finds_a_function_across_releases(
    scanned, client, django_assert_max_num_queries
):
    url = "/p/demo-web/search/?q=aauthenticate"
    page = get(client, url, django_assert_max_num_queries, queries=5)
    assert "pkg.auth.aauthenticate in 4 releases, newest 1.2.1" in text_of(page)
    assert 'hx-trigger="input changed delay:300ms, search"' in page.content.decode()
    fragment = client.get(
        "/p/demo-web/search/?q=aauthenticate", headers=HTMX
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="results"')


def test_scans_page_lists_history_and_polls_only_while_active(
    scanned, client, django_assert_max_num_queries
):
    page = get(client, "/p/demo-web/scans/", django_assert_max_num_queries, queries=6)
    assert "every 2s" not in page.content.decode()
    Scan.objects.create(project=scanned, version="9.9", ref="9.9")
    html = client.get("/p/demo-web/scans/", headers=HTMX).content.decode()
    assert html.lstrip().startswith('<section id="progress"')
    assert 'hx-trigger="every 2s"' in html and "9.9: queued" in html


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_only_staff_may_start_a_scan(scanned, who):
    client = Client()
    if who == "member":
        client.force_login(User.objects.create_user("member", password="x"))
    before = Scan.objects.count()
    response = client.post("/p/demo-web/scans/start/", {"version": "1.0"})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert Scan.objects.count() == before


def test_a_scan_start_without_csrf_token_is_refused(scanned):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_user("staff", password="x", is_staff=True))
    before = Scan.objects.count()
    assert (
        client.post("/p/demo-web/scans/start/", {"version": "1.0"}).status_code == 403
    )
    assert Scan.objects.count() == before


def test_staff_start_a_scan_with_csrf(scanned):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_user("staff", password="x", is_staff=True))
    page = client.get("/p/demo-web/scans/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        "/p/demo-web/scans/start/",
        {"version": "1.0", "csrfmiddlewaretoken": token, "force": ""},
    )
    assert response.status_code == 302
    assert Scan.objects.filter(project=scanned, trigger="manual").exists()


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("9.9", "no release tag '9.9' in the mirror"),
        ("abc", "no release tag 'abc' in the mirror"),
        ("1" * 40, "no release tag"),
    ],
)
def test_a_scan_start_of_no_release_is_a_400(scanned, version, message):
    client = Client()
    client.force_login(User.objects.create_user("staff", password="x", is_staff=True))
    before = Scan.objects.count()
    response = client.post("/p/demo-web/scans/start/", {"version": version})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Scan.objects.count() == before


@pytest.mark.parametrize(
    "url",
    [
        "/p/demo-web/releases/1.2/functions/pkg.markup.render/",
        "/p/demo-web/releases/1.2/functions/pkg.markup.arender/",
        "/p/demo-web/releases/1.2/pairs/pkg.markup.arender/",
        "/p/demo-web/search/?q=render",
        "/p/demo-web/releases/1.2/",
        "/p/demo-web/components/other/",
        "/p/demo-web/?component=other&release=1.2",
    ],
)
def test_markup_from_scanned_code_is_shown_as_text(scanned, client, url):
    html = client.get(url).content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    # Text may read hx-get="..."; no tag may carry it as an attribute.
    assert not re.search(r'<[^>]*\shx-get="/p/demo-web/scans/start/"', html)
    if "functions" in url or "pairs" in url:
        assert "&lt;script&gt;alert(" in html  # shown, as text


def test_robots_txt_keeps_crawlers_off_search_and_the_api(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain"
    assert "Disallow: /api/" in response.content.decode()


def test_pair_page_shows_what_the_release_changed_on_the_one_side(scanned, client):
    html = client.get(
        "/p/demo-web/releases/1.1/pairs/pkg.auth.aauthenticate/"
    ).content.decode()
    section = html.split('id="release-diff-section"', 1)[1].split("</section>", 1)[0]
    assert "Since 1.0: a one-sided change" in section
    assert "Only the sync side changed" in section
    assert (
        '<span class="change-del">-    user = QuerySet().get(name=username)' in section
    )
    assert (
        '<span class="change-add">+    user = QuerySet().get(name=username.strip())'
        in section
    )
    drift = client.get("/p/demo-web/one-sided-changes/").content.decode()
    assert (
        "/p/demo-web/releases/1.1/pairs/pkg.auth.aauthenticate/#release-diff" in drift
    )


def test_a_name_defined_in_both_branches_is_two_functions_and_no_change(
    scanned, client
):
    """The sync and the async `_wrapper` each have their page and history,
    and an unchanged release lists neither as a change."""
    base = "/p/demo-web/releases/1.2/functions/pkg.views.decorate.<locals>._wrapper/"
    sync = text_of(client.get(base + "?is_async=no&variant=0"))
    assert "(sync def) in 1.2" in sync and "kind sync " in sync
    assert "2 definitions in 1.2" in sync
    history = sync.split("History", 1)[1].split("Stages follow", 1)[0]
    assert "async-" not in history  # the async def's rows are not its history
    assert "(async def) in 1.2" in text_of(client.get(base + "?is_async=yes"))
    assert client.get(base + "?variant=nine").status_code == 400
    changes = text_of(client.get("/p/demo-web/releases/1.2/")).split("What changed", 1)[
        1
    ]
    assert "Reach or kind changes of public async APIs (0)" in changes
    assert "_wrapper" not in changes


def test_release_lists_count_what_the_headlines_count(scanned, client):
    page = text_of(
        client.get("/p/demo-web/releases/1.2.1/functions/?is_async=yes&closure=yes")
    )
    assert "1 function." in page
    assert "pkg.views.decorate.&lt;locals&gt;._wrapper closure, async" in page
    pairs = text_of(client.get("/p/demo-web/releases/1.1/pairs/?relation=near-copy"))
    assert "1 twin pair." in pairs and "pkg.auth.aauthenticate" in pairs
    tests = text_of(client.get("/p/demo-web/releases/1.0/tests/"))
    assert "1 doubled test" in tests
    one_sided = text_of(
        client.get("/p/demo-web/one-sided-changes/?change_class=async-specific")
    )
    assert "0 one-sided changes." in one_sided
    assert client.get("/p/demo-web/one-sided-changes/?since=banana").status_code == 400


def test_not_found_is_a_page_with_the_sites_navigation(scanned, client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<nav aria-label="Main">' in html and 'href="/">Projects<' in html
    inside = client.get("/p/demo-web/no/such/page/")
    assert inside.status_code == 404
    html = inside.content.decode()
    assert '<nav aria-label="Main">' in html and 'href="/p/demo-web/scans/"' in html
    unknown = client.get("/p/no-such-project/")
    assert unknown.status_code == 404 and "no project no-such-project" in (
        text_of(unknown)
    )
    missing = client.get("/p/demo-web/releases/9.9/")
    assert missing.status_code == 404
    assert "release 9.9 has not been scanned" in text_of(missing)


def test_the_site_icon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"


def test_component_page_is_in_sections_with_the_end_to_end_figure(scanned, client):
    html = client.get("/p/demo-web/components/cache/").content.decode()
    for anchor in ("trends", "numbers", "entry-points", "functions", "closures"):
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html
    text = text_of(client.get("/p/demo-web/components/cache/"))
    assert "end to end, " in text and "public async APIs end in a thread hop" in text
    assert 'data-y="public async APIs"' in html  # the charts' axes are titled


def test_toggles_say_what_they_add(scanned, client):
    text = text_of(client.get("/p/demo-web/"))
    assert "point releases (1 scanned)" in text
    assert "weekly main snapshots (1 scanned)" in text
