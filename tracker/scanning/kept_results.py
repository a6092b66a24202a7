"""The cached results a finalise needs, rebuilt once and kept for the next.

Reading a release's 3,000 cached results from the database and rebuilding
them into FileResults was half of a finalise; a point release shares almost
every blob with the release before it, and the releases of one request are
finalised one after another by the same few worker processes. So each
process keeps the results of the last release it finalised (`KEEP`) and
reads and rebuilds only the others. FileResults are frozen, and the tree
pass makes new records rather than changing them, so sharing one between
releases changes no figure (`tests/tracker/test_kept_results.py`).
"""

from __future__ import annotations

import threading
from collections import deque

from analyzers.records import FileResult
from analyzers.serialize import file_result_from_json
from tracker.models import FileAnalysis

KEEP = 1  # release: its neighbour shares most blobs; each one kept costs 35 MiB

Key = tuple[str, str, str]  # (analyzer version, path, blob sha)

_lock = threading.Lock()  # in the embedded mode, web threads may finalise
_kept: dict[Key, FileResult] = {}
_recent: deque[list[Key]] = deque(maxlen=KEEP)


def release_results(
    entries: list[tuple[str, str]], *, version: str
) -> list[FileResult] | None:
    """The FileResult of each (path, blob sha), in order; None while one is
    not in the cache yet (a batch still running)."""
    keys = [(version, path, sha) for path, sha in entries]
    with _lock:
        found = {key: _kept[key] for key in keys if key in _kept}
    wanted = [key for key in keys if key not in found]
    if wanted:
        paths = {(path, sha) for _, path, sha in wanted}
        for row in FileAnalysis.objects.filter(
            analyzer_version=version, blob_sha__in={sha for _, sha in paths}
        ).only("path", "blob_sha", "result"):
            if (row.path, row.blob_sha) in paths:
                found[version, row.path, row.blob_sha] = file_result_from_json(
                    row.result
                )
    if len(found) < len(set(keys)):
        return None
    with _lock:
        _recent.append(keys)
        kept = {key for release in _recent for key in release}
        for key in [key for key in _kept if key not in kept]:
            del _kept[key]
        _kept.update((key, found[key]) for key in keys)
    return [found[key] for key in keys]


def forget() -> None:
    """Drop every kept result (tests; a changed analyzer keys its own)."""
    with _lock:
        _kept.clear()
        _recent.clear()
