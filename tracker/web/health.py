"""The health endpoint that load balancers, Compose and uptime probes call."""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
PROBE_TIMEOUT = 3  # seconds: a probe that hangs is a failed probe


def database_check() -> None:
    """Raise unless the database answers a query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def broker_check() -> None:
    """Raise unless the Redis broker answers a PING."""
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=PROBE_TIMEOUT,
        socket_timeout=PROBE_TIMEOUT,
    )
    try:
        client.ping()
    finally:
        client.close()


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, else 503 naming which not.

    Without REDIS_URL (the embedded mode) tasks run in-process and there is no
    broker to check. What went wrong goes to the log, not to the caller.
    """
    checks = {"database": database_check}
    if settings.REDIS_URL:
        checks["broker"] = broker_check
    results = {}
    for name, check in checks.items():
        try:
            check()
        except Exception:
            logger.exception("health check failed: %s", name)
            results[name] = "failed"
        else:
            results[name] = "ok"
    failed = sorted(name for name, result in results.items() if result != "ok")
    return JsonResponse(
        {"status": "failed" if failed else "ok", "checks": results, "failed": failed},
        status=503 if failed else 200,
    )
