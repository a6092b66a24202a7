"""The rate limit on a real Redis: parallel clients get exactly the rate, no
more (the count is one atomic INCR), whichever process or thread they hit."""

import threading
import time

import pytest
from django.test import Client
from services import RedisServer

pytestmark = [pytest.mark.services, pytest.mark.django_db]

CLIENTS = 10
EACH = 5
RATE = 20


@pytest.fixture
def redis_cache(tmp_path, settings, real_services):
    """The cache (and so the counts) on a Redis server of the test's own."""
    server = RedisServer(tmp_path / "cache")
    server.start()
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
        },
    }
    settings.ASYNCDASH_API_RATE = f"{RATE}/h"
    settings.ASYNCDASH_PAGE_RATE = f"{RATE}/h"
    yield server
    server.stop()


def parallel_statuses(url: str) -> list[int]:
    """CLIENTS threads, each with a client of its own, start together and
    make EACH requests; their statuses."""
    start = threading.Barrier(CLIENTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def run():
        client = Client()
        start.wait()
        for _ in range(EACH):
            status = client.get(url).status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=run) for _ in range(CLIENTS)]
    # Not in the last seconds of an hour: the burst stays in one window.
    while time.time() % 3600 > 3590:
        time.sleep(1)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.mark.parametrize("url", ["/api/v1/releases", "/robots.txt"])
def test_parallel_clients_get_exactly_the_rate(redis_cache, url):
    statuses = parallel_statuses(url)
    assert len(statuses) == CLIENTS * EACH
    assert statuses.count(200) == RATE
    assert statuses.count(429) == CLIENTS * EACH - RATE
