"""The response cache keeps answers compressed: a large, compressible page
(the overview of every release) is kept, an answer too large even
compressed is rendered each time, and an entry reads back byte for byte."""

import os

import pytest
from django.core.cache import caches
from django.http import HttpResponse

from tracker.web import caching


@pytest.fixture(autouse=True)
def empty_caches():
    for name in ("local", "default"):
        caches[name].clear()
    yield
    for name in ("local", "default"):
        caches[name].clear()


def producer(content: bytes):
    calls = []

    def produce() -> HttpResponse:
        calls.append(1)
        response = HttpResponse(content, content_type="text/html")
        response["X-Kind"] = "page"
        return response

    return produce, calls


def test_a_large_compressible_answer_is_kept_and_read_back_whole() -> None:
    row = b"<tr><td>django.db.models.query.QuerySet.aget</td><td>wrapper</td></tr>\n"
    content = row * (2 * caching.MAX_CACHED_BYTES // len(row))  # twice the cap
    produce, calls = producer(content)

    first = caching.cached_response("dashboard:t:1:page:z:a", produce)
    caches["local"].clear()  # the second answer comes from the shared cache
    second = caching.cached_response("dashboard:t:1:page:z:a", produce)

    assert len(calls) == 1
    assert first.content == second.content == content
    assert second["X-Kind"] == "page"


def test_an_answer_over_the_cap_compressed_is_rendered_each_time() -> None:
    content = os.urandom(caching.MAX_CACHED_BYTES + 1024)  # does not compress
    produce, calls = producer(content)

    for _ in range(2):
        answer = caching.cached_response("dashboard:t:1:page:z:b", produce)
        assert answer.content == content

    assert len(calls) == 2
