"""This process's analysing child, kept from one batch to the next.

Every file a scan analyses goes through `analyzers.isolation`: a child
process under the per-file limits of `settings.ASYNCDASH_FILE_LIMITS`. The
child is started on the first batch and kept, so a worker process or the
embedded scan starts one per life, not one per file or batch; a file that
kills it costs a new one.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from analyzers.isolation import IsolatedAnalyser

_lock = threading.Lock()  # in the embedded mode, web threads may scan
_kept: dict[int, IsolatedAnalyser] = {}  # by process id: a fork starts its own


@contextmanager
def file_analyser() -> Iterator[IsolatedAnalyser]:
    """This process's analyser, under the settings' limits, for one caller
    at a time."""
    with _lock:
        analyser = _kept.get(os.getpid())
        if analyser is not None and analyser.limits != settings.ASYNCDASH_FILE_LIMITS:
            analyser.close()
            analyser = None
        if analyser is None:
            analyser = IsolatedAnalyser(settings.ASYNCDASH_FILE_LIMITS)
            _kept.clear()  # a parent's, inherited through a fork, is not ours
            _kept[os.getpid()] = analyser
        yield analyser


@atexit.register
def _close() -> None:
    analyser = _kept.pop(os.getpid(), None)
    if analyser is not None:
        analyser.close()
