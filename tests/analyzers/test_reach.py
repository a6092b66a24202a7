"""Where an async function's awaited work ends, across the files of a tree."""

import textwrap

import pytest
from snippets import fields

from analyzers.records import ChainStep, Kind, Reach, Resolution
from analyzers.tree_pass.analyze import analyze_sources, tree_pass
from analyzers.tree_pass.components import ComponentMap
from analyzers.tree_pass.reach import HOPS_CEILING, HOPS_LISTED, MAX_CHAIN

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
                from elsewhere import make

                async def start():
                    runner = make()
                    return await runner.arun()
            """,
        },
        "pkg.jobs.start",
        {
            "reaches": Reach.UNKNOWN,
            "hops": (),
            "hops_by_name": ("pkg.db.Runner.arun",),
            "chain": ("start", "make().arun()"),
            "steps": (
                ChainStep(
                    "make().arun()", Resolution.NAME, candidates=("pkg.db.Runner.arun",)
                ),
            ),
            "unknown_calls": ("make().arun()",),
        },
        id="a-method-matched-by-name-only-is-unknown-its-hop-listed-apart",
    ),
    pytest.param(
        {
            "pkg/db.py": DB,
            "pkg/jobs.py": """
                async def start(runner):
                    return await runner.arun()
            """,
        },
        "pkg.jobs.start",
        {
            "reaches": Reach.LOOP,
            "hops_by_name": (),
            "chain": (),
            "passes_through": ("runner",),
        },
        id="a-parameter-object-is-handed-in-and-passed-through",
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
            "reaches": Reach.UNKNOWN,
            "hops": (),
            "hops_by_name": ("pkg.cache.BaseCache.aget",),
            "chain": (
                "SessionBase.aget",
                "CacheSession.aload",
                "self._cache.aget()",
            ),
        },
        id="other-object-outside-callers-family-by-name-is-unknown",
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
            "passes_through": ("self.get_response",),
            "unknown_calls": (),
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
        {
            "concurrent": True,
            "reaches": Reach.THREAD,
            "chain": ("asend", "sync_to_async(print)"),
            "passes_through": ("receiver",),
        },
        id="gathered-awaitables-are-followed-receivers-handed-in",
    ),
    pytest.param(
        {
            "pkg/run.py": """
                async def run(coro):
                    return await coro
            """,
        },
        "pkg.run.run",
        {"reaches": Reach.LOOP, "chain": (), "passes_through": ("coro",)},
        id="awaits-a-parameter-passes-it-through",
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


ORM = """
from asgiref.sync import sync_to_async

class Model:
    def save(self):
        pass

    async def asave(self):
        return await sync_to_async(self.save)()

class QuerySet:
    def get(self):
        pass

    async def aget(self):
        return await sync_to_async(self.get)()

    def _fetch_all(self):
        pass

    def __aiter__(self):
        async def generator():
            await sync_to_async(self._fetch_all)()
            yield 1

        return generator()

class Iterable:
    async def _async_generator(self):
        yield await sync_to_async(list)()

    def __aiter__(self):
        return self._async_generator()
"""

# A same-named method of an unrelated class: never the chain's step.
DECOY = """
from asgiref.sync import sync_to_async

class Cache:
    def get(self):
        pass

    async def aget(self):
        return await sync_to_async(self.get)()

    async def asave(self):
        return await sync_to_async(self.get)()
"""

# Issue 13's classes of calls: each row the call followed to where it ends,
# with the negative case beside it where one is worth stating.
FOLLOWS = [
    pytest.param(
        """
        from pkg.orm import Model

        class Manager:
            def _make(self):
                obj = Model()
                return obj

            async def _acreate(self):
                obj = self._make()
                await obj.asave()
                return obj

            async def acreate(self):
                return await self._acreate()
        """,
        "pkg.mod.Manager.acreate",
        {
            "reaches": Reach.THREAD,
            "chain": (
                "Manager.acreate",
                "Manager._acreate",
                "Model.asave",
                "sync_to_async(save)",
            ),
        },
        id="own-method-then-a-local-bound-from-what-a-method-returns",
    ),
    pytest.param(
        """
        from pkg.orm import QuerySet

        def _queryset(klass):
            return QuerySet()

        async def aget_or_404(klass):
            queryset = _queryset(klass)
            return await queryset.aget()
        """,
        "pkg.mod.aget_or_404",
        {
            "reaches": Reach.THREAD,
            "chain": ("aget_or_404", "QuerySet.aget", "sync_to_async(get)"),
            "steps": (
                ChainStep("pkg.orm.QuerySet.aget", Resolution.TYPE),
                ChainStep("sync_to_async(get)", Resolution.HOP),
            ),
        },
        id="a-local-typed-by-the-return-of-a-function-not-by-name",
    ),
    pytest.param(
        """
        from pkg.orm import QuerySet

        async def alist():
            return [x async for x in QuerySet()]
        """,
        "pkg.mod.alist",
        {
            "reaches": Reach.THREAD,
            "chain": (
                "alist",
                "QuerySet.__aiter__.<locals>.generator",
                "sync_to_async(_fetch_all)",
            ),
        },
        id="async-for-over-a-sync-aiter-that-returns-its-own-generator",
    ),
    pytest.param(
        """
        from pkg.orm import Iterable

        async def aconsume():
            async for x in Iterable():
                pass
        """,
        "pkg.mod.aconsume",
        {
            "reaches": Reach.THREAD,
            "chain": ("aconsume", "Iterable._async_generator", "sync_to_async(list)"),
        },
        id="async-for-over-a-sync-aiter-that-returns-a-method-generator",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        class Atomic:
            def __enter__(self):
                pass

            async def __aenter__(self):
                return await sync_to_async(self.__enter__)()

            async def __aexit__(self, *exc):
                pass

        async def save():
            async with Atomic():
                pass
        """,
        "pkg.mod.save",
        {
            "reaches": Reach.THREAD,
            "chain": ("save", "Atomic.__aenter__", "sync_to_async(__enter__)"),
        },
        id="async-with-runs-aenter-and-aexit",
    ),
    pytest.param(
        """
        import asyncio

        from pkg.orm import QuerySet

        async def both():
            async with asyncio.TaskGroup() as tg:
                tg.create_task(QuerySet().aget())
            await asyncio.sleep(0)
        """,
        "pkg.mod.both",
        {
            "reaches": Reach.THREAD,
            "chain": ("both", "QuerySet.aget", "sync_to_async(get)"),
            "unknown_calls": (),
        },
        id="a-task-group-waits-on-the-loop-its-tasks-are-followed",
    ),
    pytest.param(
        """
        import asyncio

        async def nap():
            await asyncio.sleep(1)
        """,
        "pkg.mod.nap",
        {"reaches": Reach.LOOP, "unknown_calls": ()},
        id="a-sleep-waits-on-the-loop",
    ),
    pytest.param(
        """
        import asyncio

        from pkg.orm import QuerySet

        async def both():
            return await asyncio.gather(QuerySet().aget(), asyncio.sleep(1))
        """,
        "pkg.mod.both",
        {"reaches": Reach.THREAD, "concurrent": True, "unknown_calls": ()},
        id="gather-arguments-are-the-work",
    ),
    pytest.param(
        """
        async def app(scope, receive, send):
            message = await receive()
            await send({"type": "http.response.start"})
        """,
        "pkg.mod.app",
        {
            "reaches": Reach.ASYNC_IO,
            "chain": ("app", "receive()"),
            "steps": (ChainStep("receive()", Resolution.IO),),
        },
        id="asgi-receive-and-send-are-native-io",
    ),
    pytest.param(
        """
        from elsewhere import thing

        async def app(scope, receive, send):
            await thing()
            return await receive()
        """,
        "pkg.mod.app",
        {"reaches": Reach.ASYNC_IO, "unknown_calls": ("elsewhere.thing()",)},
        id="io-with-a-chain-beats-an-unknown-call",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async
        from elsewhere import thing

        async def half():
            await sync_to_async(print)()
            return await thing()
        """,
        "pkg.mod.half",
        {"reaches": Reach.UNKNOWN, "chain": ("half", "elsewhere.thing()")},
        id="an-unknown-call-beats-a-thread-never-rounded-up",
    ),
    pytest.param(
        """
        from pkg.orm import QuerySet

        class Store:
            queryset = QuerySet()

            async def aload(self, fast):
                if fast:
                    method = self.queryset.aget
                else:
                    method = getattr(self.queryset, "aget")
                return await method()
        """,
        "pkg.mod.Store.aload",
        {
            "reaches": Reach.THREAD,
            "chain": ("Store.aload", "QuerySet.aget", "sync_to_async(get)"),
        },
        id="a-local-bound-to-a-method-or-getattr-then-called",
    ),
    pytest.param(
        """
        from elsewhere import name

        class Store:
            async def aload(self, obj):
                return await getattr(obj, name)()
        """,
        "pkg.mod.Store.aload",
        {"reaches": Reach.UNKNOWN},
        id="getattr-with-a-computed-name-is-unknown",
    ),
    pytest.param(
        """
        from pkg.orm import QuerySet

        async def permissions(kind):
            name = "age%s" % kind
            return await getattr(QuerySet(), name)()
        """,
        "pkg.mod.permissions",
        {
            "reaches": Reach.THREAD,
            "chain": ("permissions", "QuerySet.aget", "sync_to_async(get)"),
            "unknown_calls": (),
        },
        id="getattr-with-a-name-pattern-runs-the-methods-that-match",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        class Factory:
            def get(self):
                return self.generic()

            def generic(self):
                return self.request()

            def request(self):
                pass

        class Client(Factory):
            async def request(self):
                return await sync_to_async(print)()

            async def get(self):
                return await super().get()
        """,
        "pkg.mod.Client.get",
        {
            "reaches": Reach.THREAD,
            "chain": ("Client.get", "Client.request", "sync_to_async(print)"),
        },
        id="awaiting-what-sync-methods-return-follows-their-returns-on-self",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        class Handler:
            async def __call__(self, request):
                return await sync_to_async(print)(request)

        class Client:
            def __init__(self):
                self.handler = Handler()

            async def request(self, request):
                return await self.handler(request)
        """,
        "pkg.mod.Client.request",
        {
            "reaches": Reach.THREAD,
            "chain": ("Client.request", "Handler.__call__", "sync_to_async(print)"),
        },
        id="an-instance-attribute-called-runs-its-call",
    ),
    pytest.param(
        """
        async def acompress(sequence):
            async for item in sequence:
                yield item
        """,
        "pkg.mod.acompress",
        {"reaches": Reach.LOOP, "passes_through": ("sequence",)},
        id="iterating-a-parameter-passes-it-through",
    ),
    pytest.param(
        """
        async def run_all(callbacks):
            for callback in callbacks:
                await callback()
        """,
        "pkg.mod.run_all",
        {"reaches": Reach.LOOP, "passes_through": ("callback",)},
        id="items-of-a-parameter-are-handed-in-too",
    ),
    pytest.param(
        """
        async def run_all(make):
            callback = make()
            for item in callback:
                await item()
        """,
        "pkg.mod.run_all",
        {"reaches": Reach.UNKNOWN, "unknown_calls": ("item()",)},
        id="items-of-a-local-are-not-handed-in",
    ),
]


@pytest.mark.parametrize(("code", "full_name", "expected"), FOLLOWS)
def test_follows(code, full_name, expected):
    """Locals, returns, protocols, gathered tasks and I/O: each call is
    followed to a hop, native I/O or a pass-through, else it is unknown."""
    files = {"pkg/orm.py": ORM, "pkg/decoy.py": DECOY, "pkg/mod.py": code}
    record = tree(files).function(full_name, is_async=True)
    assert fields(record, expected) == expected


HOPS = [
    pytest.param(
        """
        async def two():
            await sync_to_async(print)()
            await sync_to_async(print)()
        """,
        "pkg.mod.two",
        (2, 2),
        id="two-hops-in-a-row",
    ),
    pytest.param(
        """
        async def maybe(flag):
            if flag:
                await sync_to_async(print)()
            return flag or await sync_to_async(print)()
        """,
        "pkg.mod.maybe",
        (0, 2),
        id="hops-a-branch-may-skip",
    ),
    pytest.param(
        """
        async def inner():
            await sync_to_async(print)()

        async def outer():
            await inner()
            for _ in range(3):
                await inner()
        """,
        "pkg.mod.outer",
        (1, 2),
        id="through-a-callee-a-loop-body-may-run-no-time",
    ),
    pytest.param(
        """
        async def send(flag):
            if flag:
                @sync_to_async
                def run():
                    pass
            else:
                async def run():
                    pass
            return await run()
        """,
        "pkg.mod.send",
        (0, 1),
        id="same-named-defs-in-branches-fewest-and-most",
    ),
    pytest.param(
        """
        async def ping(n):
            await sync_to_async(print)()
            return await pong(n)

        async def pong(n):
            return await ping(n - 1)
        """,
        "pkg.mod.ping",
        (1, 1),
        id="a-cycle-counts-each-function-once",
    ),
    pytest.param(
        """
        async def a(flag):
            await sync_to_async(print)()
            if flag:
                await b(flag)
                await c(flag)

        async def b(flag):
            await sync_to_async(print)()
            if flag:
                await a(flag)
                await c(flag)

        async def c(flag):
            await sync_to_async(print)()
            if flag:
                await a(flag)
        """,
        "pkg.mod.b",
        (1, 3),
        id="a-knot-of-calls-counts-each-function-once",
    ),
    pytest.param(
        """
        async def outer():
            await inner()
            await knot(False)

        async def knot(flag):
            await sync_to_async(print)()
            if flag:
                await knot(flag)

        async def inner():
            await sync_to_async(print)()
            await sync_to_async(print)()
        """,
        "pkg.mod.outer",
        (3, 3),
        id="a-recursive-callee-counts-once-its-callers-add-up",
    ),
]


@pytest.mark.parametrize(("code", "full_name", "expected"), HOPS)
def test_thread_hops_on_a_path(code, full_name, expected):
    """Fewest and most thread hops a call of the function makes."""
    code = "from asgiref.sync import sync_to_async\n" + textwrap.dedent(code)
    record = tree({"pkg/mod.py": code}).function(full_name, is_async=True)
    assert (record.hops_fewest, record.hops_most) == expected


def chained(count: int, body: str) -> str:
    """Async functions f0 ... f{count}, each awaiting the next per `body`
    ({next} the next one's name), the last hopping to a thread."""
    calls = "".join(
        f"async def f{i}():\n" + textwrap.indent(body.format(next=f"f{i + 1}"), "    ")
        for i in range(count)
    )
    return calls + f"async def f{count}():\n    await sync_to_async(print)()\n"


def test_a_call_chain_thousands_deep_is_solved_without_recursion():
    """A generated module of 3,000 chained awaits (each function awaits
    the next): reach, hops and entry points are solved, and the chain shown
    stops after MAX_CHAIN calls at a function whose own chain goes on."""
    code = "from asgiref.sync import sync_to_async\n" + chained(
        3000, "await {next}()\n"
    )
    result = tree({"pkg/mod.py": code})
    first = result.function("pkg.mod.f0", is_async=True)
    assert (first.reaches, first.hops_fewest, first.hops_most) == (Reach.THREAD, 1, 1)
    assert first.chain[:3] == ("f0", "f1", "f2")
    assert len(first.chain) == MAX_CHAIN + 1 and first.chain[-1] == f"f{MAX_CHAIN}"
    assert all(step.resolution is not Resolution.HOP for step in first.steps)
    near = result.function(f"pkg.mod.f{3000 - 2}", is_async=True)
    assert near.chain[-1] == "sync_to_async(print)"
    assert first.hops == ("pkg.mod.f3000",)


def test_a_hop_count_stops_at_its_ceiling():
    """Each function awaiting the next twice doubles the hops: 2**40 would
    overflow the column that stores it, so the count stops at HOPS_CEILING."""
    code = "from asgiref.sync import sync_to_async\n" + chained(
        40, "await {next}()\nawait {next}()\n"
    )
    result = tree({"pkg/mod.py": code})
    assert result.function("pkg.mod.f39", is_async=True).hops_most == 2
    assert result.function("pkg.mod.f0", is_async=True).hops_most == HOPS_CEILING
    assert result.function("pkg.mod.f0", is_async=True).hops_fewest == HOPS_CEILING


def test_hop_lists_stop_at_a_ceiling_and_keep_every_component():
    """A function reaching more hop functions than HOPS_LISTED lists that many
    by name, then the first of every further component one sits in."""
    many = "".join(
        f"async def h{i:03}():\n    await sync_to_async(print)()\n"
        for i in range(HOPS_LISTED + 20)
    )
    calls = "".join(f"    await h{i:03}()\n" for i in range(HOPS_LISTED + 20))
    files = {
        "pkg/mod.py": "from asgiref.sync import sync_to_async\n"
        + many
        + "from pkg.orm import afetch\n"
        + f"async def everything():\n{calls}    await afetch()\n",
        "pkg/orm.py": DB,
    }
    two_components = COMPONENTS + '"pkg.orm" = "orm"\n'
    results = analyze_sources([(path, code.encode()) for path, code in files.items()])
    result = tree_pass(results, ComponentMap.from_toml(two_components))
    record = result.function("pkg.mod.everything", is_async=True)
    assert len(record.hops) == HOPS_LISTED + 1
    assert record.hops[-1] == "pkg.orm.afetch"
    assert record.hops_most == HOPS_LISTED + 21
