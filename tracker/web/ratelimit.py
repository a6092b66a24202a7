"""Rate limits: requests per client and period, counted atomically.

Anonymous clients may make ASYNCDASH_API_RATE requests to the API and
ASYNCDASH_PAGE_RATE to the pages (every other path but /healthz/; static
files are answered before this runs), counted apart; past it they get a 429
with Retry-After, cached answers included. Signed-in users are not limited.

A client is its address as the outermost trusted proxy saw it
(ASYNCDASH_TRUSTED_PROXIES; a forged X-Forwarded-For changes nothing), an
IPv6 client its /64 network (one host holds a whole /64).

Each request adds one to a key of its client and the current window of the
period, in the cache: `add` creates the key, `incr` counts (INCR on Redis),
both atomic, so parallel requests cannot get past the limit together. The
counts live where the cache does: in the cache's Redis (ASYNCDASH_CACHE_URL)
shared by every process, else in each process's memory, where each of N
processes allows the rate (the embedded mode has one process; `make run` two).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

PERIODS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}
UNLIMITED_PATHS = ("/healthz/",)  # probes


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int


@lru_cache(maxsize=8)
def rate_parse(text: str) -> Rate | None:
    """ "600/m" (the settings checked its form) -> Rate(600, 60); "" -> None."""
    if not text:
        return None
    count, _, period = text.partition("/")
    return Rate(int(count), PERIODS[period[0]])


def client_address(request: HttpRequest) -> str:
    """The address the outermost trusted proxy saw, or the socket's."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.ASYNCDASH_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        address = hops[-min(proxies, len(hops))]
    return address


def client_key(address: str) -> str:
    """An IPv4 address, or an IPv6 /64; hashed, so any header value fits."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        pass
    else:
        if ip.version == 6 and ip.ipv4_mapped is None:
            address = str(ipaddress.ip_network(f"{ip}/64", strict=False))
        elif ip.version == 6:
            address = str(ip.ipv4_mapped)
    return hashlib.blake2s(address.encode(), digest_size=12).hexdigest()


def rate_hit(*, scope: str, client: str, rate: Rate, now: float) -> float | None:
    """Count one request; None while within the rate, else the seconds until
    the window ends."""
    window = int(now // rate.seconds)
    key = f"rate:{scope}:{client}:{window}"
    # The key outlives its window a little: a late request still counts in it.
    cache.add(key, 0, timeout=rate.seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between the two: this request opens it again
        cache.add(key, 1, timeout=rate.seconds + 5)
        count = 1
    if count <= rate.requests:
        return None
    return (window + 1) * rate.seconds - now


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith("/api/")
        rate = rate_parse(
            settings.ASYNCDASH_API_RATE if api else settings.ASYNCDASH_PAGE_RATE
        )
        if (
            rate is None
            or request.path.startswith(UNLIMITED_PATHS)
            or request.user.is_authenticated
        ):
            return self.get_response(request)
        wait = rate_hit(
            scope="api" if api else "page",
            client=client_key(client_address(request)),
            rate=rate,
            now=time.time(),
        )
        if wait is None:
            return self.get_response(request)
        retry = str(max(math.ceil(wait), 1))
        if api:
            return JsonResponse(
                {"detail": "Too many requests."},
                status=429,
                headers={"Retry-After": retry},
            )
        return HttpResponse(
            f"Too many requests: try again in {retry} s.",
            status=429,
            content_type="text/plain",
            headers={"Retry-After": retry},
        )
