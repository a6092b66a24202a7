"""Caching keyed on the data: pages and API answers change only when a
release is written, so the data version keys the response cache and ETags.

Each project has a data version of its own (its releases, and the list of
projects every page's switcher shows): a scan of httpcore leaves Django's
answers cached. The pages and API answers about no one project (the home
page, `/api/v1/projects`, the schema) are the scope `~`, whose version
changes with any release. Answers are kept under `dashboard:<scope>:<data
version>:...`: one generation per version of each scope. A process that
sees a new version of a scope drops that scope's other generations
(`responses_drop_stale`), so a finalise leaves one generation behind, not
one more per scan. Only 200s are kept, compressed, at most MAX_CACHED_BYTES
each (the overview of 176 releases is 716 KiB of HTML: over the cap as it is);
the cache's own server is bounded too (maxmemory, see settings._cache).
"""

from __future__ import annotations

import hashlib
import re
import threading
import zlib
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse

from tracker import selectors

# How stale the data version may be: a new release shows within this time.
VERSION_SECONDS = 2
RESPONSE_SECONDS = 60 * 60
# A larger answer, compressed, is rendered each time (every page's cost is
# bounded).
MAX_CACHED_BYTES = 512 * 1024
PREFIX = "dashboard:"
VERSION_KEY = "data-version"  # in each process's "local" cache, by scope
ALL = "~"  # the scope of answers about every project (never a slug)
_API_PROJECT = re.compile(r"^/api/v1/projects/([-a-zA-Z0-9_]+)/")

_seen: dict[str, str] = {}
_seen_lock = threading.Lock()


def data_version(scope: str = ALL) -> str:
    """The data version of `scope` (a project's slug, or ALL), asked of the
    database at most every VERSION_SECONDS by each process."""
    local = caches["local"]
    version = local.get(f"{VERSION_KEY}:{scope}")
    if version is None:
        version = selectors.data_version(project=None if scope == ALL else scope)
        with _seen_lock:
            new = version != _seen.get(scope)
            _seen[scope] = version
        if new:
            responses_drop_stale(scope, version)
        local.set(f"{VERSION_KEY}:{scope}", version, VERSION_SECONDS)
    return version


def responses_drop_stale(scope: str, version: str) -> int:
    """Delete the cached answers of every other data version of `scope`, in
    the shared cache and this process's copy; returns how many were shared."""
    local = caches["local"]
    # This process's copies, all scopes' (each version is asked again and,
    # unchanged, drops nothing); the shared cache keeps the other scopes'.
    local.clear()
    backend = caches["default"]
    keep = backend.make_key(f"{PREFIX}{scope}:{version}:")
    prefix = backend.make_key(f"{PREFIX}{scope}:")
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)
        keys = [k.decode() for k in client.scan_iter(match=f"{prefix}*", count=1000)]
        stale = [k for k in keys if not k.startswith(keep)]
        for start in range(0, len(stale), 1000):
            client.unlink(*stale[start : start + 1000])
        return len(stale)
    if isinstance(backend, LocMemCache):
        with backend._lock:
            stale = [k for k in backend._cache if k.startswith(prefix)]
            stale = [k for k in stale if not k.startswith(keep)]
            for key in stale:
                backend._delete(key)
        return len(stale)
    return 0


def _digest(*parts: object) -> str:
    return hashlib.sha256(" ".join(map(str, parts)).encode()).hexdigest()


def canonical_path(request: HttpRequest) -> str:
    """The path and its non-empty parameters in order: `?b=1&a=2`, `?a=2&b=1`
    and `?a=2&b=1&c=` ask for the same page (the edge refused repeats)."""
    query = sorted((k, v) for k, v in request.GET.items() if v != "")
    return f"{request.path}?{urlencode(query)}" if query else request.path


def etag_for(request: HttpRequest, scope: str) -> str:
    return f'"{_digest(data_version(scope), request.get_full_path())[:32]}"'


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def cached_response(key: str, produce: Callable[[], HttpResponse]) -> HttpResponse:
    """The response stored under `key`, or `produce()`'s, stored compressed
    if a 200 of at most MAX_CACHED_BYTES so.

    Looked up in this process's memory first, then in the shared cache.
    """
    local, shared = caches["local"], caches["default"]
    stored = local.get(key)
    if stored is None:
        stored = shared.get(key)
        if stored is not None:
            local.set(key, stored, RESPONSE_SECONDS)
    if stored is not None:
        status, compressed, headers = stored
        response = HttpResponse(zlib.decompress(compressed), status=status)
        for name, value in headers:
            response[name] = value
        return response
    response = produce()
    if response.status_code != 200 or response.cookies or response.streaming:
        return response
    compressed = zlib.compress(response.content, 6)
    if len(compressed) <= MAX_CACHED_BYTES:
        headers = [(k, v) for k, v in response.items() if k != "Content-Length"]
        stored = (200, compressed, headers)
        shared.set(key, stored, RESPONSE_SECONDS)
        local.set(key, stored, RESPONSE_SECONDS)
    return response


def conditional_response(
    request: HttpRequest,
    *,
    scope: str,
    etag: str,
    kind: str,
    produce: Callable[[], HttpResponse],
) -> HttpResponse:
    """A 304 before any work when the client holds `etag`, else the answer
    from the cache, with its ETag. (`If-None-Match: *` and the ETags of
    answers not cached: ConditionalGetMiddleware.)"""
    version = data_version(scope)
    if etag in _etags(request.headers.get("If-None-Match", "")):
        response = HttpResponse(status=304)
    else:
        # `z`: entries compressed; a plain one of an older release is never read.
        key = f"{PREFIX}{scope}:{version}:{kind}:z:{etag.strip(chr(34))}"
        response = cached_response(key, produce)
        if response.status_code != 200:
            return response
    response["ETag"] = etag
    return response


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a read-only page from the cache for anonymous GETs, with an ETag.

    The key holds the data version of the page's project (from its URL), the
    page's canonical path and whether htmx asked (a fragment, not the page);
    signed-in users get a fresh render, since their pages carry forms with
    CSRF tokens.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        scope = kwargs.get("project", ALL)
        version = data_version(scope)
        digest = _digest(version, bool(request.htmx), canonical_path(request))
        return conditional_response(
            request,
            scope=scope,
            etag=f'"{digest[:32]}"',
            kind="page",
            produce=lambda: view(request, *args, **kwargs),
        )

    return wrapper


class ApiMiddleware:
    """ETags, cache headers and a response cache for the API.

    The ETag is the data version and the full path: the same question about
    the same data has the same answer. A client that has it gets a 304 before
    any view runs; one that has not gets the stored answer. (Rate limits come
    before: tracker/web/ratelimit.py.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") or request.method != "GET":
            return self.get_response(request)
        project = _API_PROJECT.match(request.path_info)
        scope = project.group(1) if project else ALL
        response = conditional_response(
            request,
            scope=scope,
            etag=etag_for(request, scope),
            kind="api",
            produce=lambda: self.get_response(request),
        )
        if response.status_code in (200, 304):
            response["Cache-Control"] = "public, max-age=60, must-revalidate"
        return response
