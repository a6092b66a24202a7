"""Anonymous API clients are rate limited by address, through trusted proxies
only: a forged X-Forwarded-For does not reset the count."""

import pytest
from django.test import Client
from ninja.conf import settings as ninja_settings

pytestmark = pytest.mark.django_db

URL = "/api/v1/releases"


@pytest.fixture
def limited(settings):
    settings.ASYNCDASH_API_RATE = "3/m"
    return settings


def test_past_the_rate_a_client_gets_429_with_retry_after(limited, scanned):
    client = Client()  # a new client loads the middleware with the rate
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(URL)  # cached answers count too
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json() == {"detail": "Too many requests."}


def test_a_forged_forwarded_for_does_not_reset_the_count(limited, scanned):
    client = Client()
    statuses = [
        client.get(URL, headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_behind_one_proxy_the_address_it_saw_counts(limited, scanned, monkeypatch):
    monkeypatch.setattr(ninja_settings, "NUM_PROXIES", 1)
    client = Client()

    def via_proxy(forwarded: str) -> int:
        return client.get(URL, headers={"X-Forwarded-For": forwarded}).status_code

    # The proxy appends the address it saw; what the client sent before it is
    # forged and ignored.
    assert [via_proxy(f"198.51.100.{i}, 192.0.2.7") for i in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    assert via_proxy("192.0.2.8") == 200  # another client


def test_pages_are_not_rate_limited_by_the_api_limit(limited, scanned):
    client = Client()
    assert {client.get("/search/").status_code for _ in range(5)} == {200}
