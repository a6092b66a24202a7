"""Blocking calls made on the event loop: catalogue entries and sync twins."""

import textwrap

import pytest

from analyzers.file_pass.analyze import analyze_file
from analyzers.records import BlockingCall


def blocking(code: str, qualname: str) -> tuple[BlockingCall, ...]:
    result = analyze_file(
        textwrap.dedent(code).encode(), module="pkg.mod", path="pkg/mod.py"
    )
    assert result.parse_error is None, result.parse_error
    (record,) = [f for f in result.functions if f.qualname == qualname]
    return record.blocking


BLOCKING = [
    pytest.param(
        """
        import time

        async def wait():
            time.sleep(1)
        """,
        "wait",
        (BlockingCall("time.sleep", "catalogue"),),
        id="time.sleep",
    ),
    pytest.param(
        """
        from time import sleep

        async def wait():
            sleep(1)
        """,
        "wait",
        (BlockingCall("time.sleep", "catalogue"),),
        id="from-time-import-sleep",
    ),
    pytest.param(
        """
        async def read(name):
            with open(name) as fh:
                return fh.read()
        """,
        "read",
        (BlockingCall("open", "catalogue"),),
        id="open",
    ),
    pytest.param(
        """
        import subprocess

        async def ls():
            return subprocess.run(["ls"])
        """,
        "ls",
        (BlockingCall("subprocess.run", "catalogue"),),
        id="subprocess.run",
    ),
    pytest.param(
        """
        import requests

        async def fetch(url):
            return requests.get(url)
        """,
        "fetch",
        (BlockingCall("requests.get", "catalogue"),),
        id="requests.get",
    ),
    pytest.param(
        """
        import time

        from asgiref.sync import sync_to_async

        async def wait():
            def pause():
                time.sleep(1)

            await sync_to_async(pause)()
        """,
        "wait",
        (),
        id="in-nested-sync-def",
    ),
    pytest.param(
        """
        import time

        from asgiref.sync import sync_to_async

        async def wait():
            await sync_to_async(lambda: time.sleep(1))()
        """,
        "wait",
        (),
        id="in-sync_to_async-lambda",
    ),
    pytest.param(
        """
        import asyncio

        async def wait():
            await asyncio.sleep(1)
        """,
        "wait",
        (),
        id="asyncio.sleep",
    ),
    pytest.param(
        """
        import time

        def wait():
            time.sleep(1)

        async def nothing():
            pass
        """,
        "wait",
        (),
        id="sync-def-may-block",
    ),
    pytest.param(
        """
        class SessionStore:
            def load(self):
                return {}

            async def aload(self):
                return self.load()
        """,
        "SessionStore.aload",
        (BlockingCall("self.load", "sync twin"),),
        id="calls-own-sync-twin",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        class SessionStore:
            def load(self):
                return {}

            async def aload(self):
                return await sync_to_async(self.load)()
        """,
        "SessionStore.aload",
        (),
        id="sync-twin-through-hop",
    ),
    pytest.param(
        """
        def authenticate(request):
            return None

        async def aauthenticate(request):
            return authenticate(request)
        """,
        "aauthenticate",
        (BlockingCall("authenticate", "sync twin"),),
        id="calls-module-sync-twin",
    ),
    pytest.param(
        """
        async def collect(items):
            requests = []
            for item in items:
                requests.append(item)
            return requests
        """,
        "collect",
        (),
        id="local-named-like-catalogue-module",
    ),
    pytest.param(
        """
        async def hang_up(socket):
            socket.close()
        """,
        "hang_up",
        (),
        id="parameter-named-like-catalogue-module",
    ),
]


@pytest.mark.parametrize(("code", "qualname", "expected"), BLOCKING)
def test_blocking(code, qualname, expected):
    """Only an async def's own, unawaited calls on the loop are blocking."""
    assert blocking(code, qualname) == expected
