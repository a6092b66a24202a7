"""What every route answers to hostile or unusual requests (tracker/web/edge.py):
unknown query parameters and control characters refused with a 400, HEAD
answered like GET without a body, `If-None-Match: *` a 304, bidi controls
shown visibly. PostgreSQL's share is in test_edge_services.py."""

import pytest
from routes import PAGES, POST_ONLY, REDIRECTS, api_urls, route_names, with_param

pytestmark = pytest.mark.django_db

CONTROL = ["%00", "%01", "%0A", "%1B", "%7F"]


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def every_url() -> list[str]:
    return [*PAGES.values(), *api_urls()]


def test_every_route_has_a_sample():
    """A new page needs a sample in tests/web/routes.py, so that these tests
    cover it."""
    assert route_names() == set(PAGES) | POST_ONLY | set(REDIRECTS)


def test_every_sample_answers(scanned, client):
    for url in every_url():
        assert client.get(url).status_code == 200, url


def test_an_unknown_parameter_is_refused_everywhere(scanned, client):
    """`?x=1` is never a new page (nor a new cache entry): a 400 saying so."""
    for url in every_url():
        response = client.get(with_param(url, "utm_source", "x"))
        assert response.status_code == 400, url
        assert "unknown parameter: utm_source" in response.content.decode(), url


def test_a_repeated_parameter_is_refused(scanned, client):
    response = client.get("/p/demo-web/search/?q=auth&q=cache")
    assert response.status_code == 400
    assert "q: given more than once" in response.content.decode()


def control_variants(url: str) -> list[str]:
    """The URL with a control character in a path segment, and in the value
    of a parameter it takes (or of one it does not)."""
    path, _, query = url.partition("?")
    head, _, last = path.rstrip("/").rpartition("/")
    variants = []
    for char in CONTROL:
        bad_path = f"{head}/{last}{char}" + ("/" if path.endswith("/") else "")
        variants.append(bad_path + (f"?{query}" if query else ""))
        if query:
            name = query.split("=", 1)[0]
            variants.append(f"{path}?{name}={char}")
        variants.append(with_param(url, f"x{char}", "1"))
    return variants


def test_control_characters_in_the_url_are_refused(scanned, client):
    """NUL and other control characters never reach a view or the database."""
    for url in every_url():
        for variant in control_variants(url):
            response = client.get(variant)
            assert response.status_code == 400, variant
            assert "control character" in response.content.decode(), variant


def test_a_control_character_in_a_cookie_is_refused(scanned, client):
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    response = client.get("/p/demo-web/releases/1.1/")
    assert response.status_code == 400


def test_head_answers_like_get_without_a_body(scanned, client):
    for url in every_url():
        got = client.get(url)
        head = client.head(url)
        assert head.status_code == got.status_code == 200, url
        assert body(head) == b"", url
        assert head["Content-Type"] == got["Content-Type"], url
        assert int(head["Content-Length"]) == len(body(got)), url


def test_if_none_match_star_is_a_304_for_what_exists(scanned, client):
    for url in every_url():
        response = client.get(url, headers={"If-None-Match": "*"})
        assert response.status_code == 304, url
        assert body(response) == b""
    for missing in ["/p/demo-web/releases/9.9/", "/api/v1/releases/9.9"]:
        response = client.get(missing, headers={"If-None-Match": "*"})
        assert response.status_code == 404, missing


def test_pages_carry_an_etag_that_gets_a_304(scanned, client):
    first = client.get("/p/demo-web/components/auth/")
    etag = first["ETag"]
    again = client.get("/p/demo-web/components/auth/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    other = client.get("/p/demo-web/components/cache/", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_parameter_order_does_not_make_a_new_page(scanned, client):
    one = client.get("/p/demo-web/components/auth/?release=1.1&kind=async-native")
    two = client.get("/p/demo-web/components/auth/?kind=async-native&release=1.1")
    assert one["ETag"] == two["ETag"]
