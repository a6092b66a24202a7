"""What each def is: its kind, its hops and bridges, and whether it is an async
generator. Each rule is a table of inline snippets and the fields they must give.
"""

import pytest
from snippets import analyze, fields, function

from analyzers.records import Kind

# Kind -------------------------------------------------------------------
KIND = [
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        def load(key):
            return key

        async def aload(key):
            return await sync_to_async(load)(key)
        """,
        "aload",
        {
            "kind": Kind.ASYNC_WRAPPER,
            "thread_hops": 1,
            "hop_labels": ("sync_to_async(load)",),
        },
        id="awaits-sync_to_async",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        class Cache:
            def get(self, key):
                return key

            async def aget(self, key):
                return await sync_to_async(self.get, thread_sensitive=True)(key)
        """,
        "Cache.aget",
        {
            "kind": Kind.ASYNC_WRAPPER,
            "thread_hops": 1,
            "hop_labels": ("sync_to_async(get)",),
        },
        id="method-hop-with-keyword",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async as s2a

        def load():
            pass

        async def aload():
            return await s2a(load)()
        """,
        "aload",
        {"kind": Kind.ASYNC_WRAPPER, "thread_hops": 1},
        id="aliased-import",
    ),
    pytest.param(
        """
        import asgiref.sync

        def load():
            pass

        async def aload():
            return await asgiref.sync.sync_to_async(load)()
        """,
        "aload",
        {"kind": Kind.ASYNC_WRAPPER, "thread_hops": 1},
        id="dotted-module-import",
    ),
    pytest.param(
        """
        from asgiref.sync import SyncToAsync

        def load():
            pass

        async def aload():
            return await SyncToAsync(load)()
        """,
        "aload",
        {"kind": Kind.ASYNC_WRAPPER, "thread_hops": 1},
        id="SyncToAsync-class",
    ),
    pytest.param(
        """
        from channels.db import database_sync_to_async

        def load():
            pass

        async def aload():
            return await database_sync_to_async(load)()
        """,
        "aload",
        {"kind": Kind.ASYNC_WRAPPER, "thread_hops": 1},
        id="channels-database_sync_to_async",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        async def aload():
            @sync_to_async
            def inner():
                return 1

            return await inner()
        """,
        "aload",
        {
            "kind": Kind.ASYNC_WRAPPER,
            "thread_hops": 1,
            "hop_labels": ("sync_to_async(inner)",),
        },
        id="nested-decorated-def",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        async def aload():
            @sync_to_async(thread_sensitive=True)
            def inner():
                return 1

            return await inner()
        """,
        "aload",
        {"kind": Kind.ASYNC_WRAPPER, "thread_hops": 1},
        id="nested-def-decorated-with-arguments",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        async def aload():
            @sync_to_async
            def inner():
                return 1

            return await inner()
        """,
        "aload.<locals>.inner",
        {"kind": Kind.SYNC, "is_async": False, "runs_in_thread": True},
        id="decorated-def-runs-in-thread",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        def load():
            pass

        async def aload():
            f = sync_to_async(load)
            return await f()
        """,
        "aload",
        {"kind": Kind.ASYNC_WRAPPER, "thread_hops": 1},
        id="local-product",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async as s2a

        def load():
            pass

        async def aload():
            f = s2a(load)
            return await f()
        """,
        "aload",
        {"kind": Kind.ASYNC_WRAPPER, "thread_hops": 1},
        id="local-product-of-aliased-import",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        def load():
            pass

        aload = sync_to_async(load)

        async def use():
            return await aload()
        """,
        "use",
        {"kind": Kind.ASYNC_WRAPPER},
        id="module-level-product",
    ),
    pytest.param(
        """
        from typing import Callable

        from asgiref.sync import sync_to_async

        def load():
            pass

        aload: Callable = sync_to_async(load)

        async def use():
            return await aload()
        """,
        "use",
        {"kind": Kind.ASYNC_WRAPPER},
        id="annotated-module-level-product",
    ),
    pytest.param(
        """
        async def fetch():
            pass

        async def afetch_all():
            return await fetch()
        """,
        "afetch_all",
        {"kind": Kind.ASYNC_NATIVE},
        id="awaits-coroutine",
    ),
    pytest.param(
        """
        async def consume(stream):
            async for chunk in stream:
                pass
        """,
        "consume",
        {"kind": Kind.ASYNC_NATIVE},
        id="async-for",
    ),
    pytest.param(
        """
        async def locked(lock):
            async with lock:
                pass
        """,
        "locked",
        {"kind": Kind.ASYNC_NATIVE},
        id="async-with",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        def load():
            pass

        async def fetch():
            pass

        async def both():
            await sync_to_async(load)()
            await fetch()
        """,
        "both",
        {"kind": Kind.ASYNC_NATIVE, "thread_hops": 1},
        id="hop-and-native-await",
    ),
    pytest.param(
        """
        async def answer():
            return 42
        """,
        "answer",
        {"kind": Kind.ASYNC_NATIVE, "thread_hops": 0},
        id="async-without-await",
    ),
    pytest.param(
        """
        from asgiref.sync import async_to_sync

        class Cache:
            async def aget(self, key):
                pass

            def get(self, key):
                return async_to_sync(self.aget)(key)
        """,
        "Cache.get",
        {"kind": Kind.SYNC_WRAPPER, "bridges": 1},
        id="returns-async_to_sync",
    ),
    pytest.param(
        """
        from asgiref.sync import async_to_sync

        class Cache:
            async def aget(self, key):
                pass

            def get(self, key):
                \"\"\"Fetch a key.\"\"\"
                return async_to_sync(self.aget)(key)
        """,
        "Cache.get",
        {"kind": Kind.SYNC_WRAPPER, "bridges": 1},
        id="returns-async_to_sync-after-docstring",
    ),
    pytest.param(
        """
        from asgiref.sync import async_to_sync

        class Cache:
            async def aget(self, key):
                pass

            def get(self, key):
                value = async_to_sync(self.aget)(key)
                return value
        """,
        "Cache.get",
        {"kind": Kind.SYNC_WRAPPER, "bridges": 1},
        id="returns-the-bridged-value",
    ),
    pytest.param(
        """
        from asgiref.sync import async_to_sync

        class Signal:
            def send(self, sender, **named):
                responses = []
                sync_receivers, async_receivers = self._live_receivers(sender)
                for receiver in sync_receivers:
                    responses.append((receiver, receiver(sender, **named)))

                async def asend():
                    return [(r, await r(sender, **named)) for r in async_receivers]

                responses.extend(async_to_sync(asend)())
                return responses
        """,
        "Signal.send",
        {"kind": Kind.SYNC, "bridges": 1},
        id="bridges-part-of-its-work",
    ),
    pytest.param(
        """
        def add(a, b):
            return a + b
        """,
        "add",
        {"kind": Kind.SYNC, "bridges": 0, "thread_hops": 0},
        id="plain-def",
    ),
]


# An async face over the sync twin, with no thread (5.1's file session store).
FILE_STORE = """
import asyncio

class SessionStore:
    def load(self):
        with open(self.path) as f:
            return f.read()

    async def aload(self):
        return self.load()

    def exists(self, key):
        return False

    async def aexists(self, key):
        await asyncio.sleep(0)
        return self.exists(key)

    def save(self):
        pass

    async def asave(self):
        self.load()
        return None

    @classmethod
    def clear_expired(cls):
        pass

    @classmethod
    async def aclear_expired(cls):
        cls.clear_expired()
"""

SYNC_FACE = [
    pytest.param("SessionStore.aload", Kind.ASYNC_WRAPPER, id="returns-its-sync-twin"),
    pytest.param(
        "SessionStore.aclear_expired", Kind.ASYNC_WRAPPER, id="classmethod-twin"
    ),
    pytest.param(
        "SessionStore.aexists", Kind.ASYNC_NATIVE, id="also-awaits-async-work"
    ),
    pytest.param("SessionStore.asave", Kind.ASYNC_NATIVE, id="calls-another-twin"),
]


@pytest.mark.parametrize(("qualname", "expected"), SYNC_FACE)
def test_async_face_over_its_sync_twin(qualname, expected):
    """An async def that calls its own sync twin on the loop and awaits nothing
    else is an async wrapper with no thread; the blocking call stays flagged."""
    record = function(analyze(FILE_STORE), qualname, is_async=True)
    assert record.kind is expected
    assert record.blocking


def test_async_face_delegates_to_its_sync_twin():
    """Its pair is delegating, not a (tiny) divergent copy."""
    result = analyze(FILE_STORE)
    relation = {p.async_qualname: p.relation for p in result.pairs}
    assert relation["SessionStore.aload"] == "delegating"
    assert relation["SessionStore.asave"] != "delegating"


@pytest.mark.parametrize(("code", "qualname", "expected"), KIND)
def test_kind(code, qualname, expected):
    """A def's kind and hop counts follow from what its own body does."""
    assert fields(function(analyze(code), qualname), expected) == expected


# Async generators -------------------------------------------------------
ASYNC_GENERATOR = [
    pytest.param("async def g():\n    yield 1\n", "g", True, id="async-yield"),
    pytest.param(
        "async def g(src):\n    async for x in src:\n        yield x\n",
        "g",
        True,
        id="async-for-yield",
    ),
    pytest.param("async def f():\n    return 1\n", "f", False, id="coroutine"),
    pytest.param(
        "def g():\n    yield 1\nasync def f():\n    return 1\n",
        "g",
        False,
        id="sync-generator",
    ),
    pytest.param(
        "async def f():\n    def g():\n        yield 1\n    return list(g())\n",
        "f",
        False,
        id="yield-in-nested-def",
    ),
]


@pytest.mark.parametrize(("code", "qualname", "expected"), ASYNC_GENERATOR)
def test_async_generator(code, qualname, expected):
    """Only an async def that yields itself is an async generator."""
    assert function(analyze(code), qualname).is_async_generator is expected
