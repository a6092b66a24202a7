"""The JSON API on real scanned data: answers, query bounds, 400s, ETags, CORS."""

import pytest

from tracker.web.api import MAX_PAGE_SIZE, Pages

pytestmark = pytest.mark.django_db


def get_json(client, url, django_assert_max_num_queries, *, queries):
    with django_assert_max_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def test_releases_oldest_first_with_their_previous(
    scanned, client, django_assert_max_num_queries
):
    releases = get_json(
        client, "/api/v1/releases", django_assert_max_num_queries, queries=4
    )
    assert [r["version"] for r in releases] == ["1.0", "1.1", "1.2", "1.2.1"]
    assert [r["previous"] for r in releases] == [None, "1.0", "1.1", "1.2"]
    features = client.get("/api/v1/releases?points=false").json()
    assert [r["version"] for r in features] == ["1.0", "1.1", "1.2"]


def test_one_release_with_its_components(
    scanned, client, django_assert_max_num_queries
):
    release = get_json(
        client, "/api/v1/releases/1.1", django_assert_max_num_queries, queries=6
    )
    auth = next(c for c in release["components"] if c["name"] == "auth")
    assert auth["stage"] == "async-native"
    assert auth["public_async"] == 1
    assert "orm" in auth["boundary"]


def test_component_history(scanned, client, django_assert_max_num_queries):
    history = get_json(
        client, "/api/v1/components/cache", django_assert_max_num_queries, queries=4
    )
    releases = [p["release"] for p in history]
    assert releases[:4] == ["1.0", "1.1", "1.2", "1.2.1"]
    assert releases[4].startswith("main-")  # the weekly snapshot comes last
    assert history[0]["summary"]["stage"] == "async-wrapper"
    assert history[0]["doubled_tests"] == 1


def test_functions_filtered_and_paginated(
    scanned, client, django_assert_max_num_queries
):
    url = "/api/v1/functions?release=1.0&kind=async-wrapper&ordering=-name&page_size=1"
    page = get_json(client, url, django_assert_max_num_queries, queries=6)
    assert page["count"] == 2
    (first,) = page["items"]
    assert first["qualname"] == "QuerySet.aget"
    assert first["reaches"] == "thread"
    assert first["release"] == "1.0"
    assert first["steps"] == [
        {
            "target": "sync_to_async(get)",
            "resolution": "hop",
            "candidates": [],
            "default": False,
        }
    ]
    second = client.get(url + "&page=2").json()["items"]
    assert second[0]["qualname"] == "BaseCache.aget"


def test_function_history(scanned, client, django_assert_max_num_queries):
    url = "/api/v1/functions/pkg.auth.aauthenticate/history"
    history = get_json(client, url, django_assert_max_num_queries, queries=4)
    assert [f["release"] for f in history][:4] == ["1.0", "1.1", "1.2", "1.2.1"]
    assert {f["kind"] for f in history} == {"async-native"}


def test_pairs_and_one_sided_changes(scanned, client, django_assert_max_num_queries):
    pairs = get_json(
        client,
        "/api/v1/pairs?release=1.1&relation=near-copy",
        django_assert_max_num_queries,
        queries=6,
    )["items"]
    assert [p["async_qualname"] for p in pairs] == ["aauthenticate"]
    changes = get_json(
        client, "/api/v1/one-sided-changes", django_assert_max_num_queries, queries=5
    )["items"]
    assert [(c["release"], c["previous"], c["async_qualname"]) for c in changes] == [
        ("1.1", "1.0", "aauthenticate")
    ]
    assert changes[0]["sync_changed"] and not changes[0]["async_changed"]


def test_compare_is_the_release_changelog(
    scanned, client, django_assert_max_num_queries
):
    diff = get_json(
        client,
        "/api/v1/compare?base=1.1&head=1.2",
        django_assert_max_num_queries,
        queries=12,
    )
    assert [f["qualname"] for f in diff["new_async_apis"]] == ["arender"]
    assert [p["async_qualname"] for p in diff["new_pairs"]] == ["arender"]
    assert (
        client.get("/api/v1/compare?head=1.1").json()["one_sided"][0]["async_qualname"]
        == "aauthenticate"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/functions?kind=bogus",
        "/api/v1/functions?ordering=name;DROP TABLE tracker_release",
        "/api/v1/functions?ordering=release__project__git_url",
        "/api/v1/functions?_connector=OR",
        "/api/v1/functions?qualname__regex=.*",
        "/api/v1/functions?page=0",
        "/api/v1/functions?page=99999999999999999999",
        "/api/v1/pairs?relation=1%20OR%201=1",
        "/api/v1/releases?points=maybe",
        "/api/v1/compare",
    ],
)
def test_a_bad_parameter_is_a_400_with_a_message(scanned, client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(("bad parameter", "unknown parameter"))


def test_unknown_things_are_404(scanned, client):
    assert client.get("/api/v1/releases/9.9").status_code == 404
    assert client.get("/api/v1/functions?release=9.9").status_code == 404
    assert client.get("/api/v1/components/nope").status_code == 404


def test_page_size_is_capped():
    assert Pages()._get_page_size(10**9) == MAX_PAGE_SIZE


@pytest.mark.parametrize("path", ["functions", "pairs", "one-sided-changes"])
def test_a_page_size_over_the_cap_is_a_400_on_every_list(scanned, client, path):
    response = client.get(f"/api/v1/{path}?page_size={MAX_PAGE_SIZE + 1}")
    assert response.status_code == 400
    assert "page_size" in response.json()["detail"]
    assert client.get(f"/api/v1/{path}?page_size={MAX_PAGE_SIZE}").status_code == 200


def test_etag_and_304_without_running_the_view(
    scanned, client, django_assert_max_num_queries
):
    first = client.get("/api/v1/releases/1.1")
    assert first["Cache-Control"] == "public, max-age=60, must-revalidate"
    etag = first["ETag"]
    with django_assert_max_num_queries(0):  # the data version is cached
        again = client.get("/api/v1/releases/1.1", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = client.get("/api/v1/releases/1.2", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_cors_lets_other_tools_read_the_api(scanned, client):
    response = client.get("/api/v1/releases", headers={"Origin": "https://example.org"})
    assert response["Access-Control-Allow-Origin"] == "*"
    page = client.get("/p/demo-web/", headers={"Origin": "https://example.org"})
    assert "Access-Control-Allow-Origin" not in page


def test_the_schema_is_generated_with_interactive_docs(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/projects" in schema["paths"]
    assert "/api/v1/projects/{project}/functions" in schema["paths"]
    assert "/api/v1/projects/{project}/compare" in schema["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs  # served here, no CDN


def test_a_repeated_question_is_answered_from_the_cache(
    scanned, client, django_assert_max_num_queries
):
    first = client.get("/api/v1/functions?release=1.0")
    with django_assert_max_num_queries(0):
        again = client.get("/api/v1/functions?release=1.0")
    assert again.content == first.content


def test_a_repeated_page_is_answered_from_the_cache(
    scanned, client, django_assert_max_num_queries
):
    first = client.get("/p/demo-web/components/auth/")
    with django_assert_max_num_queries(0):
        again = client.get("/p/demo-web/components/auth/")
    assert again.content == first.content


@pytest.mark.parametrize(
    ("query", "releases"),
    [
        ("", ["1.1"]),
        ("?release=1.1", ["1.1"]),
        ("?release=1.2", []),
        ("?since=1.1&until=1.1", ["1.1"]),
        ("?since=1.2", []),
        ("?until=1.0", []),
        ("?since=1.2&until=1.1", []),
        ("?change_class=possible%20missed%20port", ["1.1"]),
        ("?change_class=async-specific", []),
    ],
)
def test_one_sided_changes_by_release_since_until_and_class(
    scanned, client, query, releases
):
    page = client.get(f"/api/v1/one-sided-changes{query}").json()
    assert [c["release"] for c in page["items"]] == releases
    for change in page["items"]:
        assert change["change_class"] == "possible missed port"
        assert "-    user = QuerySet().get(name=username)" in change["changed_lines"]


@pytest.mark.parametrize(
    "query",
    ["since=banana", "until=", "release=not%20a%20version"],
)
def test_bad_one_sided_change_bounds_are_a_400(scanned, client, query):
    response = client.get(f"/api/v1/one-sided-changes?{query}")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("bad parameter")


def test_compare_spans_every_release_in_between(scanned, client):
    diff = client.get("/api/v1/compare?base=1.0&head=1.2").json()
    assert [(c["release"], c["async_qualname"]) for c in diff["one_sided"]] == [
        ("1.1", "aauthenticate")
    ]
    assert [f["qualname"] for f in diff["new_async_apis"]] == ["arender"]
    assert diff["stage_changes"] == [
        {"component": "other", "before": "sync-only", "after": "async-native"}
    ] or all(set(s) == {"component", "before", "after"} for s in diff["stage_changes"])


@pytest.mark.parametrize("query", ["base=1.2&head=1.1", "base=1.1&head=1.1"])
def test_compare_with_head_not_after_base_is_a_400(scanned, client, query):
    response = client.get(f"/api/v1/compare?{query}")
    assert response.status_code == 400
    assert "is not after base" in response.json()["detail"]


def test_components_list(scanned, client, django_assert_max_num_queries):
    components = get_json(
        client, "/api/v1/components", django_assert_max_num_queries, queries=4
    )
    auth = next(c for c in components if c["name"] == "auth")
    assert auth == {
        "name": "auth",
        "release": "1.2.1",
        "stage": "async-native",
        "public_async": 1,
        "first_async": "1.0",
    }


def test_summary_has_the_overviews_figures_each_with_its_list(scanned, client):
    summary = client.get("/api/v1/summary").json()
    assert summary["release"] == "1.2.1"
    assert summary["compared_with"] == "1.1"
    figures = {f["key"]: f for f in summary["figures"]}
    overview = client.get("/p/demo-web/").content.decode()
    for key, figure in figures.items():
        # The same figure, with the same list link, as the overview shows.
        link = figure["list"].removeprefix("http://testserver")
        assert f'href="{link.replace("&", "&amp;")}">{figure["value"]}<' in overview, (
            key
        )
        listed = client.get(figure["api"]).json()
        if isinstance(listed, list):  # tests: by component, each doubled test
            count = sum(len(suite["doubled"]) for suite in listed)
        else:
            count = listed["count"]
        assert count == figure["value"], key
    assert figures["public_async"]["value"] == 5
    assert figures["one_sided"]["value"] == 0
    assert summary["hop_cost_ms"] == 1.0


def test_a_pair_with_what_differs_and_its_history(scanned, client):
    pair = client.get("/api/v1/pairs/pkg.auth.aauthenticate?release=1.1").json()
    assert pair["release"] == "1.1"
    assert pair["sync_only_lines"] or pair["async_only_lines"]
    history = client.get("/api/v1/pairs/pkg.auth.aauthenticate/history").json()
    assert [h["pair"]["release"] for h in history][:3] == ["1.0", "1.1", "1.2"]
    assert history[0]["change"] is None
    assert history[1]["change"]["one_sided"] is True
    assert history[1]["change"]["change_class"] == "possible missed port"
    assert client.get("/api/v1/pairs/pkg.nope.anope").status_code == 404


def test_release_lists_the_files_that_did_not_parse(scanned, client):
    release = client.get("/api/v1/releases/1.1").json()
    assert release["parse_failures"] == []
    assert release["parse_errors"] == 0


def test_exact_function_lookup_beside_substring_search(scanned, client):
    base = "/api/v1/functions?release=1.1"
    exact = client.get(f"{base}&full_name=pkg.auth.aauthenticate").json()
    assert [f["full_name"] for f in exact["items"]] == ["pkg.auth.aauthenticate"]
    assert client.get(f"{base}&full_name=pkg.auth.aauth").json()["count"] == 0
    assert client.get(f"{base}&name=aauth").json()["count"] == 1


def test_entry_points_are_objects_with_named_fields(scanned, client):
    release = client.get("/api/v1/releases/1.1").json()
    auth = next(c for c in release["components"] if c["name"] == "auth")
    assert auth["entry_points"] == [
        {"name": "pkg.auth.aauthenticate", "judgement": "native"}
    ]


def test_pages_link_to_the_next_and_previous(scanned, client):
    first = client.get("/api/v1/functions?release=1.0&page_size=1").json()
    assert first["previous"] is None
    assert first["next"].endswith("page=2") and "page_size=1" in first["next"]
    second = client.get(first["next"]).json()
    assert "page=1" in second["previous"]
    last = client.get(
        f"/api/v1/functions?release=1.0&page_size=1&page={first['count']}"
    )
    assert last.json()["next"] is None


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/releases/1.1/nope", "/api/nothing", "/api/"]
)
def test_every_unknown_api_path_is_a_json_404(scanned, client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("not found")


def _undocumented(schema: dict) -> list[str]:
    missing = []
    for name, component in schema["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            if not spec.get("description"):
                missing.append(f"{name}.{field}")
    return missing


def test_the_openapi_schema_documents_every_field(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert _undocumented(schema) == []
    for path in ["/summary", "/components", "/pairs/{full_name}"]:
        path = f"/api/v1/projects/{{project}}{path}"
        assert path in schema["paths"]
    assert "drift" not in client.get("/api/v1/openapi.json").content.decode().lower()
