"""Anonymous clients are rate limited by address, through trusted proxies
only (a forged X-Forwarded-For does not reset the count), on the API and on
the pages, each with its own rate (tracker/web/ratelimit.py). The race of
parallel clients on a real Redis is in test_rate_limit_services.py."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/api/v1/releases"
PAGE = "/p/demo-web/releases/1.1/"


@pytest.fixture
def limited(settings):
    # An hour's window: a test never straddles two of them.
    settings.ASYNCDASH_API_RATE = "3/h"
    settings.ASYNCDASH_PAGE_RATE = "3/h"
    return settings


def test_past_the_rate_a_client_gets_429_with_retry_after(limited, scanned):
    client = Client()
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(URL)  # cached answers count too
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused.json() == {"detail": "Too many requests."}


def test_pages_have_a_rate_limit_of_their_own(limited, scanned):
    client = Client()
    assert [client.get(PAGE).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(PAGE)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused["Content-Type"].startswith("text/plain")
    assert client.get(URL).status_code == 200  # the API counts apart


def test_unknown_parameters_do_not_escape_the_count(limited, scanned):
    client = Client()
    statuses = [client.get(f"{PAGE}?x={i}").status_code for i in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_a_forged_forwarded_for_does_not_reset_the_count(limited, scanned):
    client = Client()
    statuses = [
        client.get(URL, headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_behind_one_proxy_the_address_it_saw_counts(limited, scanned):
    limited.ASYNCDASH_TRUSTED_PROXIES = 1
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


def test_an_ipv6_client_is_its_64_network(limited, scanned):
    """One host may hold a whole /64: its addresses share one count."""
    client = Client()
    addresses = [f"2001:db8:1:2::{i:x}" for i in range(1, 5)]
    statuses = [client.get(URL, REMOTE_ADDR=a).status_code for a in addresses]
    assert statuses == [200, 200, 200, 429]
    assert client.get(URL, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_health_probes_are_not_limited(limited, scanned):
    client = Client()
    assert {client.get("/healthz/").status_code for _ in range(5)} == {200}


def test_signed_in_users_are_not_limited(limited, scanned):
    client = Client()
    client.force_login(User.objects.create_user("reader"))
    assert {client.get(PAGE).status_code for _ in range(5)} == {200}
