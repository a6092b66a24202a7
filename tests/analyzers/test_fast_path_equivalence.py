"""The fast path for sync-only files gives exactly what the libcst path gives."""

import textwrap

import pytest

from analyzers.file_pass.analyze import analyze_file
from analyzers.file_pass.ast_walk import holds_no_async


def source(code: str) -> bytes:
    return textwrap.dedent(code).encode()


SYNC_ONLY = [
    pytest.param(
        source(
            """
            from django.db import models

            class Entry(models.Model):
                sync_capable = True

                class Meta:
                    ordering = ["-id"]

                def save(self, *args, **kwargs):
                    super().save(*args, **kwargs)

                def _private(self):
                    pass
            """
        ),
        id="classes",
    ),
    pytest.param(
        source(
            """
            def outer():
                def inner():
                    def innermost():
                        pass

                    return innermost

                class Local:
                    def method(self):
                        pass

                return inner, Local
            """
        ),
        id="nested-defs",
    ),
    pytest.param(
        source(
            """
            import functools

            @functools.lru_cache(maxsize=None)
            @staticmethod
            def cached(x):
                return x

            class View:
                @property
                def name(self):
                    return "view"

                @name.setter
                def name(self, value):
                    pass
            """
        ),
        id="decorators",
    ),
    pytest.param(
        source(
            """
            import sys

            if sys.platform == "win32":
                def path():
                    return "C:"
            else:
                def path():
                    return "/"

            try:
                from json import loads
            except ImportError:
                def loads(text):
                    pass
            finally:
                def cleanup():
                    pass

            match sys.argv:
                case [_, "run"]:
                    def run():
                        pass
            """
        ),
        id="defs-in-compound-statements",
    ),
    pytest.param(
        source(
            """
            # A comment before anything.

            def f():
                # a comment inside

                x = 1  # a trailing comment


                return x
                # a trailing comment in the block

            # a comment between defs
            def g(): return 2
            """
        ),
        id="comments-and-blank-lines",
    ),
    pytest.param(
        source(
            '''
            def template():
                """A docstring
                over lines.
                """
                return """
            # not a comment

                indented
            """
            '''
        ),
        id="multi-line-strings",
    ),
    pytest.param(
        b"class C:\r\n    def m(self):\r\n        return 1\r\n\r\n\r\n"
        b"def f():\r\n    # comment\r\n    pass\r\n",
        id="crlf-line-endings",
    ),
    pytest.param(
        b"def f():\n    pass\n\x0c\ndef g():\n    return 1\n\x0c# page two\n"
        b"def h():\n    pass\n",
        id="form-feed",
    ),
    pytest.param(
        source(
            """
            from . import sibling
            from ..parent import thing as alias
            import os.path
            import json as j

            def f(a,
                  b):
                return \\
                    a
            """
        ),
        id="imports-and-continuations",
    ),
    pytest.param(
        "\ufeff# -*- coding: utf-8 -*-\ndef café():\n    return 'é'\n".encode(),
        id="bom-and-non-ascii",
    ),
    pytest.param(
        source(
            """
            def schedule(loop, job):
                loop.create_task(job())
            """
        ),
        id="loop-create_task",
    ),
    pytest.param(
        source(
            """
            import trio

            def nursery():
                return trio.open_nursery()
            """
        ),
        id="trio-open_nursery",
    ),
    pytest.param(
        source(
            """
            mixins = (object,)

            class C(*mixins):
                def m(self):
                    pass
            """
        ),
        id="starred-base",
    ),
    pytest.param(
        source(
            """
            from django.conf import settings
            from django.core.cache import caches
            from pkg.models import Session, Store

            class Backend:
                model = Session
                store_class: Store
                if settings.DEBUG:
                    store_class = Store

                def __init__(self, store: Store, other=None):
                    self._cache = caches[settings.CACHE_ALIAS]
                    self.store = store
                    self.other = other
                    if other:
                        self.made = Store()
                    self.typed: "Store" = make()

                    def later():
                        self.ignored = Store()

                def load(self):
                    self.not_in_init = Store()

            backend = Backend(Store())
            helper = make_helper()
            HANDLER: Backend = Backend(None)
            """
        ),
        id="class-attributes-and-module-instances",
    ),
    pytest.param(
        source(
            """
            import threading

            class Pool:
                def __init__(self):
                    # A threading lock unless we're running in async mode,
                    # where the caller awaits (httpcore's _sync/ says so).
                    self._lock = threading.Lock()  # not a coroutine lock

                def close(self):  # see the async twin
                    with self._lock:
                        self._closed = True
            """
        ),
        id="async-named-in-comments-only",
    ),
]


@pytest.mark.parametrize("code", SYNC_ONLY)
def test_fast_path_matches_full_path(code):
    """Both paths give identical records for a file without async code."""
    assert holds_no_async(code)  # so the snippet really takes the fast path
    fast = analyze_file(code, module="pkg.mod", path="pkg/mod.py")
    full = analyze_file(code, module="pkg.mod", path="pkg/mod.py", force_full=True)
    assert fast.parse_error is None
    assert fast.functions  # the snippet is not trivially empty
    assert fast == full


@pytest.mark.parametrize(
    ("code", "no_async"),
    [
        ("x = 1  # async mode\n# await the lock\n", True),
        ("def f():\n    # from_thread.run in the twin\n    return 1\n", True),
        ("def f():\n    return async_to_sync(g)()  # a bridge\n", False),
        # A marker in a string is code: getattr(x, "aclose") follows it.
        ('NAME = "async"\n', False),
        ('DOC = """\n# async in a string, not a comment\n"""\n', False),
        # A `#` in a string before the marker does not make it a comment.
        ('x = "#" if coroutine_mode else 1\n', False),
        ("async def f():\n    pass\n", False),
        # A marker after `#` where tokenize cannot read the file: the full path.
        ("x = (  # async\n", False),
    ],
)
def test_a_marker_in_a_comment_is_no_async_code(code: str, no_async: bool) -> None:
    assert holds_no_async(code.encode()) is no_async
