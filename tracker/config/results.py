"""Celery's Redis result backend, with a chord's join step retried through a
Redis restart (`CELERY_RESULT_BACKEND` names it before the Redis URL).

A batch that ends while Redis restarts first stores its result, which
`result_backend_always_retry` retries, then records its part of the scan's
chord with one Lua script. Celery 5.7 runs that script once: a
ConnectionError there ("Connection closed by server") marks the healthy
batch failed, and the chord fails the scan with it (seen in
tests/tracker/test_redis_restart_services.py). Here the step is retried as
the backend's other writes are (`ensure`, under the result backend's
`retry_policy`). The script records each task's part once, keyed by its id,
so a retry after a reply lost on the way counts nothing twice.
"""

from __future__ import annotations

from functools import partial

from celery.backends.redis import RedisBackend


class RedisResults(RedisBackend):
    def on_chord_part_return(self, request, state, result, **kwargs):
        record = partial(super().on_chord_part_return, **kwargs)
        return self.ensure(record, (request, state, result))
