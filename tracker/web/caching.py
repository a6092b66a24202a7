"""Caching keyed on the data: pages and API answers change only when a
release is written, so the data version keys the response cache and ETags."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.throttling import AnonRateThrottle

from tracker import selectors

# How stale the data version may be: a new release shows within this time.
VERSION_SECONDS = 2
RESPONSE_SECONDS = 60 * 60


def data_version() -> str:
    """The data version, asked of the database at most every VERSION_SECONDS
    by each process."""
    local = caches["local"]
    version = local.get("dashboard:data-version")
    if version is None:
        version = selectors.data_version()
        local.set("dashboard:data-version", version, VERSION_SECONDS)
    return version


def _digest(*parts: object) -> str:
    return hashlib.sha256(" ".join(map(str, parts)).encode()).hexdigest()


def etag_for(request: HttpRequest) -> str:
    return f'"{_digest(data_version(), request.get_full_path())[:32]}"'


def cached_response(key: str, produce: Callable[[], HttpResponse]) -> HttpResponse:
    """The response stored under `key`, or `produce()`'s, stored if a 200.

    Looked up in this process's memory first, then in the shared cache.
    """
    local = caches["local"]
    stored = local.get(key)
    if stored is None:
        stored = cache.get(key)
        if stored is not None:
            local.set(key, stored, RESPONSE_SECONDS)
    if stored is not None:
        status, content, headers = stored
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        return response
    response = produce()
    if response.status_code == 200 and not response.cookies:
        headers = [(k, v) for k, v in response.items() if k != "Content-Length"]
        stored = (200, response.content, headers)
        cache.set(key, stored, RESPONSE_SECONDS)
        local.set(key, stored, RESPONSE_SECONDS)
    return response


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a read-only page from the cache for anonymous GETs.

    The key holds the data version, the full path and whether htmx asked (a
    fragment, not the page); signed-in users get a fresh render, since their
    pages carry forms with CSRF tokens.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        key = "dashboard:page:" + _digest(
            data_version(), bool(request.htmx), request.get_full_path()
        )
        return cached_response(key, lambda: view(request, *args, **kwargs))

    return wrapper


class ApiMiddleware:
    """Rate limits, ETags, cache headers and a response cache for the API.

    Anonymous clients are limited first (ASYNCDASH_API_RATE, by the address
    seen through ASYNCDASH_TRUSTED_PROXIES proxies, so a forged
    X-Forwarded-For changes nothing), whether or not the answer is cached.
    The ETag is the data version and the full path: the same question about
    the same data has the same answer. A client that has it gets a 304 before
    any view runs; one that has not gets the stored answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        rate = settings.ASYNCDASH_API_RATE
        self.throttle = AnonRateThrottle(rate) if rate else None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if self.throttle is not None and not self.throttle.allow_request(request):
            return JsonResponse(
                {"detail": "Too many requests."},
                status=429,
                headers={"Retry-After": str(math.ceil(self.throttle.wait() or 1))},
            )
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        etag = etag_for(request)
        if etag in _etags(request.headers.get("If-None-Match", "")):
            response = HttpResponse(status=304)
        else:
            response = cached_response(
                "dashboard:api:" + etag.strip('"'),
                lambda: self.get_response(request),
            )
            if response.status_code != 200:
                return response
        response["ETag"] = etag
        response["Cache-Control"] = "public, max-age=60, must-revalidate"
        return response


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
