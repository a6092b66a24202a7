"""Log lines for people on a terminal, JSON for machines; scan ids on a scan's.

`ASYNCDASH_LOG_FORMAT` picks the form (`log_format`): `auto`, the default,
writes readable text when stdout is a terminal outside production and one
JSON object per line otherwise (Compose, pipes, CI); `json` or `text` force
one. Lines go out through tqdm, so on a terminal they print above the
progress bars of `import_releases` and `scan` instead of through them.
Celery's task arguments (lists of blobs, kilobytes long) are never written
(`TaskArgumentsFilter`).

A scan's tasks take its ids (`scan_id` or `scan_ids`); while one runs, every
line it writes carries `scan_ids`. A task that takes no scan id (a batch of
blobs) gets them from a message header that the task which queued it set, so
the ids follow a scan through its chord. Nothing in the tasks has to know.
"""

from __future__ import annotations

import inspect
import logging
import sys
from contextvars import ContextVar, Token
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter
from tqdm import tqdm

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


LOG_FORMATS = ("auto", "json", "text")
# What Celery puts in a task line's `data`: the call, not a fact about it.
_TASK_CALL_FIELDS = ("args", "kwargs", "argsrepr", "kwargsrepr")


def log_format(choice: str, *, production: bool, stream: TextIO | None = None) -> str:
    """`json` or `text`: `choice`, or for `auto` text on a terminal outside
    production. A ValueError names the setting for any other choice."""
    if choice not in LOG_FORMATS:
        raise ValueError(
            f"ASYNCDASH_LOG_FORMAT={choice!r} is not one of {', '.join(LOG_FORMATS)}"
        )
    if choice != "auto":
        return choice
    stream = sys.stdout if stream is None else stream
    terminal = hasattr(stream, "isatty") and stream.isatty()
    return "text" if terminal and not production else "json"


class TextFormatter(logging.Formatter):
    """`12:04:05 WARNING tracker.scanning.steps: message (scans 3, 4)`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if ids := getattr(record, "scan_ids", None):
            head, _, tail = line.partition("\n")
            scans = "scan" if len(ids) == 1 else "scans"
            line = f"{head} ({scans} {', '.join(map(str, ids))})" + (
                f"\n{tail}" if tail else ""
            )
        return line


def stdout_formatter(log_format: str = "json") -> logging.Formatter:
    """The formatter of the stdout handler for a `log_format` result."""
    return TextFormatter() if log_format == "text" else json_formatter()


class TerminalHandler(logging.StreamHandler):
    """A stream handler that writes through tqdm: above any progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # One write per line, newline included (tqdm writes `end` apart):
            # a worker's processes share stdout, and two writes let another
            # process's line in between.
            tqdm.write(self.format(record) + self.terminator, file=self.stream, end="")
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


class TaskArgumentsFilter(logging.Filter):
    """Drop Celery's task arguments from its lines.

    Celery's trace lines carry the call in `data` (and the format's args): a
    batch's arguments are hundreds of (path, blob) pairs, a 20 KB line that
    says nothing a person or a log search needs. The task's name, id,
    runtime and any error stay.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        data = getattr(record, "data", None)
        if isinstance(data, dict):
            record.data = {
                key: value
                for key, value in data.items()
                if key not in _TASK_CALL_FIELDS
            }
        if isinstance(record.args, dict):  # a format string may name them
            record.args = {
                key: "..." if key in _TASK_CALL_FIELDS else value
                for key, value in record.args.items()
            }
        return True


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
