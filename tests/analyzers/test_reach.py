"""Where an async function's awaited work ends, across the files of a tree."""

import textwrap

import pytest
from snippets import fields

from analyzers.components import ComponentMap
from analyzers.tree import analyze_sources, tree_pass
from analyzers.types import ChainStep, Kind, Reach, Resolution

COMPONENTS = """
[project]
package = "pkg"
tests = "tests"
[modules]
"pkg" = "core"
"""


def tree(files: dict[str, str]):
    results = analyze_sources(
        [(path, textwrap.dedent(code).encode()) for path, code in files.items()]
    )
    assert [r.parse_error for r in results if r.parse_error] == []
    return tree_pass(results, ComponentMap.from_toml(COMPONENTS))


CACHE = """
from asgiref.sync import sync_to_async

class BaseCache:
    def get(self, key, default=None):
        raise NotImplementedError

    async def aget(self, key, default=None):
        return await sync_to_async(self.get)(key, default)

    async def aget_many(self, keys):
        found = {}
        for key in keys:
            found[key] = await self.aget(key)
        return found
"""

SESSIONS = """
from asgiref.sync import sync_to_async

class SessionBase:
    async def aload(self):
        return {}

    async def aget(self, key):
        session = await self.aload()
        return session.get(key)

class SessionStore(SessionBase):
    def load(self):
        return {}

    async def aload(self):
        return await sync_to_async(self.load)()

class CachedStore(SessionStore):
    async def aload(self):
        return await super().aload()
"""

DB = """
from asgiref.sync import sync_to_async

def fetch():
    pass

async def afetch():
    return await sync_to_async(fetch)()

aload = sync_to_async(fetch)

class Runner:
    def run(self):
        pass

    async def arun(self):
        return await sync_to_async(self.run)()
"""

REACH = [
    pytest.param(
        {"pkg/cache.py": CACHE},
        "pkg.cache.BaseCache.aget_many",
        {
            "kind": Kind.ASYNC_NATIVE,
            "reaches": Reach.THREAD,
            "hops": ("pkg.cache.BaseCache.aget",),
            "chain": (
                "BaseCache.aget_many",
                "BaseCache.aget",
                "sync_to_async(get)",
            ),
        },
        id="cache-get-many-through-aget",
    ),
    pytest.param(
        {"pkg/cache.py": CACHE},
        "pkg.cache.BaseCache.aget",
        {
            "kind": Kind.ASYNC_WRAPPER,
            "reaches": Reach.THREAD,
            "hops": ("pkg.cache.BaseCache.aget",),
            "chain": ("BaseCache.aget", "sync_to_async(get)"),
        },
        id="wrapper-hops-itself",
    ),
    pytest.param(
        {"pkg/sessions.py": SESSIONS},
        "pkg.sessions.SessionBase.aget",
        {
            "reaches": Reach.THREAD,
            "hops": ("pkg.sessions.SessionStore.aload",),
            "chain": (
                "SessionBase.aget",
                "SessionStore.aload",
                "sync_to_async(load)",
            ),
        },
        id="self-method-overridden-in-subclass",
    ),
    pytest.param(
        {"pkg/sessions.py": SESSIONS},
        "pkg.sessions.CachedStore.aload",
        {
            "reaches": Reach.THREAD,
            "hops": ("pkg.sessions.SessionStore.aload",),
            "chain": (
                "CachedStore.aload",
                "SessionStore.aload",
                "sync_to_async(load)",
            ),
        },
        id="super-call",
    ),
    pytest.param(
        {
            "pkg/db.py": DB,
            "pkg/auth.py": """
                from pkg.db import afetch

                async def alogin():
                    return await afetch()
            """,
        },
        "pkg.auth.alogin",
        {
            "reaches": Reach.THREAD,
            "hops": ("pkg.db.afetch",),
            "chain": ("alogin", "afetch", "sync_to_async(fetch)"),
        },
        id="cross-module-import",
    ),
    pytest.param(
        {
            "pkg/db.py": DB,
            "pkg/__init__.py": "from pkg.db import afetch\n",
            "pkg/auth.py": """
                from pkg import afetch

                async def alogin():
                    return await afetch()
            """,
        },
        "pkg.auth.alogin",
        {"reaches": Reach.THREAD, "hops": ("pkg.db.afetch",)},
        id="re-exported-import",
    ),
    pytest.param(
        {
            "pkg/db/__init__.py": DB,
            "pkg/auth/__init__.py": "",
            "pkg/auth/views.py": """
                from ..db import afetch as fetch_row

                async def alogin():
                    return await fetch_row()
            """,
        },
        "pkg.auth.views.alogin",
        {"reaches": Reach.THREAD, "hops": ("pkg.db.afetch",)},
        id="relative-import-with-alias",
    ),
    pytest.param(
        {
            "pkg/db.py": DB,
            "pkg/auth.py": """
                import pkg.db

                async def alogin():
                    return await pkg.db.afetch()
            """,
        },
        "pkg.auth.alogin",
        {"reaches": Reach.THREAD, "hops": ("pkg.db.afetch",)},
        id="dotted-module-attribute",
    ),
    pytest.param(
        {
            "pkg/db.py": DB,
            "pkg/auth.py": """
                from pkg.db import aload

                async def alogin():
                    return await aload()
            """,
        },
        "pkg.auth.alogin",
        {"reaches": Reach.THREAD},
        id="imported-module-level-product",
    ),
    pytest.param(
        {
            "pkg/cache.py": """
                from asgiref.sync import sync_to_async

                class Base:
                    def get(self):
                        pass

                    aget = sync_to_async(get)

                class Cache(Base):
                    async def aget_twice(self):
                        return [await self.aget(), await self.aget()]
            """,
        },
        "pkg.cache.Cache.aget_twice",
        {"reaches": Reach.THREAD},
        id="inherited-class-level-product",
    ),
    pytest.param(
        {
            "pkg/db.py": DB,
            "pkg/jobs.py": """
                async def start(obj):
                    return await obj.arun()
            """,
        },
        "pkg.jobs.start",
        {
            "reaches": Reach.THREAD,
            "hops": (),
            "hops_by_name": ("pkg.db.Runner.arun",),
            "chain": ("start", "Runner.arun", "sync_to_async(run)"),
            "steps": (
                ChainStep("pkg.db.Runner.arun", Resolution.NAME),
                ChainStep("sync_to_async(run)", Resolution.HOP),
            ),
        },
        id="unknown-object-method-by-name",
    ),
    pytest.param(
        {
            "pkg/cache.py": CACHE,
            "pkg/sessions.py": """
                class SessionBase:
                    async def aget(self, key):
                        session = await self.aload()
                        return session.get(key)

                    async def aload(self):
                        return {}

                class CacheSession(SessionBase):
                    async def aload(self):
                        return await self._cache.aget(self.session_key)
            """,
        },
        "pkg.sessions.SessionBase.aget",
        {
            "reaches": Reach.THREAD,
            "hops": (),
            "hops_by_name": ("pkg.cache.BaseCache.aget",),
            "chain": (
                "SessionBase.aget",
                "CacheSession.aload",
                "BaseCache.aget",
                "sync_to_async(get)",
            ),
        },
        id="other-object-outside-callers-family",
    ),
    pytest.param(
        {
            "pkg/db.py": DB,
            "pkg/counter.py": """
                from pkg.db import afetch

                async def aincr(n):
                    return await adecr(n)

                async def adecr(n):
                    if n:
                        return await aincr(n - 1)
                    return await afetch()
            """,
        },
        "pkg.counter.aincr",
        {
            "reaches": Reach.THREAD,
            "hops": ("pkg.db.afetch",),
            "chain": ("aincr", "adecr", "afetch", "sync_to_async(fetch)"),
        },
        id="cycle-with-a-hop",
    ),
    pytest.param(
        {
            "pkg/ping.py": """
                async def aping(n):
                    return await apong(n)

                async def apong(n):
                    return await aping(n)
            """,
        },
        "pkg.ping.aping",
        {"reaches": Reach.LOOP, "hops": (), "chain": ()},
        id="cycle-without-a-hop",
    ),
    pytest.param(
        {
            "pkg/middleware.py": """
                from asgiref.sync import sync_to_async

                class MiddlewareMixin:
                    def __init__(self, get_response):
                        self.get_response = get_response

                    def process_request(self, request):
                        return None

                    async def __acall__(self, request):
                        response = await sync_to_async(self.process_request)(
                            request
                        )
                        response = response or await self.get_response(request)
                        return response
            """,
        },
        "pkg.middleware.MiddlewareMixin.__acall__",
        {
            "kind": Kind.ASYNC_NATIVE,
            "reaches": Reach.THREAD,
            "hops": ("pkg.middleware.MiddlewareMixin.__acall__",),
            "chain": ("MiddlewareMixin.__acall__", "sync_to_async(process_request)"),
        },
        id="middleware-passes-through-get_response",
    ),
    pytest.param(
        {
            "pkg/signals.py": """
                import asyncio

                from asgiref.sync import sync_to_async

                async def asend(receivers, sender):
                    return await asyncio.gather(
                        sync_to_async(print)(sender),
                        *(receiver(sender) for receiver in receivers),
                    )
            """,
        },
        "pkg.signals.asend",
        {"concurrent": True, "reaches": Reach.ASYNC},
        id="concurrent",
    ),
    pytest.param(
        {
            "pkg/run.py": """
                async def run(coro):
                    return await coro
            """,
        },
        "pkg.run.run",
        {"reaches": Reach.ASYNC, "hops": (), "chain": ()},
        id="awaits-a-parameter",
    ),
    pytest.param(
        {
            "pkg/answer.py": """
                async def answer():
                    return 42
            """,
        },
        "pkg.answer.answer",
        {"reaches": Reach.LOOP, "hops": (), "chain": ()},
        id="awaits-nothing",
    ),
]


@pytest.mark.parametrize(("files", "full_name", "expected"), REACH)
def test_reach(files, full_name, expected):
    """Awaited calls resolve through classes, imports and names to the hops."""
    record = tree(files).function(full_name, is_async=True)
    assert fields(record, expected) == expected


CHAIN_LABEL = [
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        def load():
            pass

        async def use():
            return await sync_to_async(load)()
        """,
        "pkg.mod.use",
        ("use", "sync_to_async(load)"),
        id="inline-hop",
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
        "pkg.mod.use",
        ("use", "sync_to_async(aload)"),
        id="module-level-product",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        class Cache:
            def get(self):
                pass

            aget = sync_to_async(get)

            async def use(self):
                return await self.aget()
        """,
        "pkg.mod.Cache.use",
        ("Cache.use", "sync_to_async(aget)"),
        id="class-level-product",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        @sync_to_async
        def store():
            pass

        async def save():
            return await store()
        """,
        "pkg.mod.save",
        ("save", "sync_to_async(store)"),
        id="module-level-decorated-def",
    ),
]


@pytest.mark.parametrize(("code", "full_name", "expected"), CHAIN_LABEL)
def test_chain_names_what_runs_in_the_thread(code, full_name, expected):
    """The last link of a chain names the sync callable the hop runs."""
    record = tree({"pkg/mod.py": code}).function(full_name, is_async=True)
    assert record.chain == expected
