"""Logs as one JSON object per line, with the ids of the scans being worked on.

A scan's tasks take its ids (`scan_id` or `scan_ids`); while one runs, every
line it writes carries `scan_ids`. A task that takes no scan id (a batch of
blobs) gets them from a message header that the task which queued it set, so
the ids follow a scan through its chord. Nothing in the tasks has to know.
"""

from __future__ import annotations

import inspect
import logging
from contextvars import ContextVar, Token

from pythonjsonlogger.json import JsonFormatter

HEADER = "asyncdash_scan_ids"
_scan_ids: ContextVar[tuple[int, ...]] = ContextVar("scan_ids", default=())
_tokens: dict[str, Token] = {}


def json_formatter() -> logging.Formatter:
    """time, level, logger and message first, then any `extra` fields."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


class ScanIdsFilter(logging.Filter):
    """Add `scan_ids` to a record written while a scan's task runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if ids := _scan_ids.get():
            record.scan_ids = list(ids)
        return True


def scan_ids_of(task, args: tuple, kwargs: dict) -> tuple[int, ...]:
    """The scans a task call works on: its arguments, else its message header."""
    try:
        arguments = inspect.signature(task.run).bind_partial(*args, **kwargs)
    except TypeError:
        arguments = None
    if arguments is not None:
        if ids := arguments.arguments.get("scan_ids"):
            return tuple(ids)
        if (scan_id := arguments.arguments.get("scan_id")) is not None:
            return (scan_id,)
    return tuple(getattr(task.request, HEADER, None) or ())


def task_started(task_id: str, task, args=(), kwargs=None, **_) -> None:
    """Celery's task_prerun: enter the task's scans, if it has any."""
    if ids := scan_ids_of(task, tuple(args or ()), dict(kwargs or {})):
        _tokens[task_id] = _scan_ids.set(ids)


def task_finished(task_id: str, **_) -> None:
    """Celery's task_postrun: back to the enclosing scans (an eager caller's)."""
    if (token := _tokens.pop(task_id, None)) is not None:
        _scan_ids.reset(token)


def task_publishing(headers: dict, **_) -> None:
    """Celery's before_task_publish: a task queued by a scan's task inherits it."""
    if (ids := _scan_ids.get()) and HEADER not in headers:
        headers[HEADER] = list(ids)
