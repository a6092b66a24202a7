"""A component's stage by its async entry points, own and inherited."""

import inspect
import textwrap

import pytest
from snippets import fields

from analyzers.records import Stage
from analyzers.tree_pass.analyze import analyze_sources, tree_pass
from analyzers.tree_pass.components import STAGE_RULE, ComponentMap, judge_stage

COMPONENTS = """
[project]
package = "pkg"
tests = "tests"
[modules]
"pkg.handlers" = "handlers"
"pkg.utils" = "utils"
"pkg.middleware" = "middleware"
"pkg.orm" = "orm"
"pkg.store" = "store"
"pkg.admin" = "admin"
"pkg.views" = "views"
"pkg.signals" = "signals"
"""

UTILS = """
from asgiref.sync import sync_to_async

class MiddlewareMixin:
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.process_request(request)

    async def __acall__(self, request):
        response = await sync_to_async(self.process_request)(request)
        return response or await self.get_response(request)

class PlainMixin:
    async def arender(self):
        return await sync_to_async(self.render)()
"""

ORM = """
from asgiref.sync import sync_to_async

class QuerySet:
    def get(self):
        pass

    async def aget(self):
        return await sync_to_async(self.get)()
"""

# Django 3.0's handler: one hop for the whole request; helpers on the channel.
HANDLER_30 = """
from asgiref.sync import sync_to_async

class BaseHandler:
    def get_response(self, request):
        pass

class ASGIHandler(BaseHandler):
    async def __call__(self, scope, receive, send):
        body = await self.read_body(receive)
        response = await sync_to_async(self.get_response)(body)
        await self.send_response(response, send)

    async def read_body(self, receive):
        return await receive()

    async def send_response(self, response, send):
        await send(response)
"""

# Django 3.1's handler: a separate async path through the middleware chain.
HANDLER_31 = """
from asgiref.sync import sync_to_async

class BaseHandler:
    def __init__(self, chain):
        self._middleware_chain = chain

    def get_response(self, request):
        pass

    async def get_response_async(self, request):
        return await self._middleware_chain(request)

class ASGIHandler(BaseHandler):
    async def __call__(self, scope, receive, send):
        body = await self.read_body(receive)
        await sync_to_async(print)(body)
        response = await self.get_response_async(body)
        await self.send_response(response, send)

    async def read_body(self, receive):
        return await receive()

    async def send_response(self, response, send):
        await send(response)
"""

MIDDLEWARE = """
from pkg.utils import MiddlewareMixin, PlainMixin

class CommonMiddleware(MiddlewareMixin):
    def process_request(self, request):
        pass

class CsrfMiddleware(MiddlewareMixin):
    def process_request(self, request):
        pass

class AsyncOnlyMiddleware(MiddlewareMixin):
    async def __acall__(self, request):
        return await self.get_response(request)

class Widget(PlainMixin):
    def render(self):
        pass
"""

STORE = """
from pkg.orm import QuerySet

class CachedQuerySet(QuerySet):
    async def aget(self):
        return await super().aget()

class Store:
    def load(self):
        pass

    async def aload(self):
        return await self._aload_rows()

    async def _aload_rows(self):
        return await QuerySet().aget()
"""


def tree(files: dict[str, str], *, extra_map: str = ""):
    results = analyze_sources(
        [(path, textwrap.dedent(code).encode()) for path, code in files.items()]
    )
    return tree_pass(results, ComponentMap.from_toml(COMPONENTS + extra_map))


BASE = {"pkg/utils.py": UTILS, "pkg/orm.py": ORM}

ENTRY_POINTS = [
    pytest.param(
        {"pkg/handlers.py": HANDLER_30},
        "handlers",
        {
            "stage": Stage.ASYNC_WRAPPER,
            "entry_points": (("pkg.handlers.ASGIHandler.__call__", "hops-here"),),
            "entry_judgements": {"hops-here": 1},
        },
        id="helpers-are-not-entry-points",
    ),
    pytest.param(
        {"pkg/handlers.py": HANDLER_31},
        "handlers",
        {
            "stage": Stage.ASYNC_NATIVE,
            "entry_points": (
                ("pkg.handlers.ASGIHandler.__call__", "native"),
                ("pkg.handlers.BaseHandler.get_response_async", "native"),
            ),
            "entry_judgements": {"native": 2},
        },
        id="separate-async-path",
    ),
    pytest.param(
        {"pkg/middleware.py": MIDDLEWARE},
        "middleware",
        {
            "stage": Stage.ASYNC_NATIVE,
            "entry_points": (
                ("pkg.middleware.AsyncOnlyMiddleware.__acall__", "native"),
            ),
            "inherited_entry_points": (
                (
                    "pkg.middleware.CommonMiddleware.__acall__",
                    "hops-here",
                    "pkg.utils.MiddlewareMixin.__acall__",
                ),
                (
                    "pkg.middleware.CsrfMiddleware.__acall__",
                    "hops-here",
                    "pkg.utils.MiddlewareMixin.__acall__",
                ),
            ),
            "entry_judgements": {"native": 1},
        },
        id="inherited-adapters-are-listed-not-counted",
    ),
    pytest.param(
        {
            "pkg/admin.py": """
                from pkg.utils import MiddlewareMixin

                class CSPMiddleware(MiddlewareMixin):
                    def process_request(self, request):
                        pass
            """
        },
        "admin",
        {
            "stage": Stage.SYNC_ONLY,
            "entry_points": (),
            "inherited_entry_points": (
                (
                    "pkg.admin.CSPMiddleware.__acall__",
                    "hops-here",
                    "pkg.utils.MiddlewareMixin.__acall__",
                ),
            ),
        },
        id="one-inherited-middleware-lifts-no-component",
    ),
    pytest.param(
        {
            "pkg/admin/__init__.py": "",
            "pkg/admin/tests.py": """
                from asgiref.sync import sync_to_async

                class SeleniumTestCase:
                    async def asetup(self):
                        return await sync_to_async(print)()
            """,
        },
        "admin",
        {"stage": Stage.SYNC_ONLY, "entry_points": (), "public_async": 0},
        id="test-support-shipped-in-the-package-is-no-api",
    ),
    pytest.param(
        {
            "pkg/views.py": """
                from asgiref.sync import iscoroutinefunction, sync_to_async

                def cache_page(view):
                    if iscoroutinefunction(view):
                        async def _view_wrapper(request):
                            return await sync_to_async(print)(request)
                    else:
                        def _view_wrapper(request):
                            return view(request)
                    return _view_wrapper
            """
        },
        "views",
        {
            "stage": Stage.SYNC_ONLY,
            "public_async": 0,
            "closures": 1,
            "entry_points": (),
        },
        id="closures-are-no-api-and-no-entry-point",
    ),
    pytest.param(
        {"pkg/store.py": STORE},
        "store",
        {
            "stage": Stage.ASYNC_WRAPPER,
            "entry_points": (
                ("pkg.store.CachedQuerySet.aget", "delegates"),
                ("pkg.store.Store.aload", "native"),
            ),
            "entry_judgements": {"delegates": 1, "native": 1},
        },
        id="delegation-and-private-helper-a-tie-is-a-wrapper",
    ),
    pytest.param(
        {
            "pkg/store.py": """
                from asgiref.sync import sync_to_async

                from pkg.signals import send

                class Store:
                    def load(self):
                        pass

                    async def aload(self):
                        await sync_to_async(send)()
                        return await self.asave()

                    async def asave(self, receive):
                        return await receive()

                    def save(self):
                        pass
            """,
            "pkg/signals.py": "def send():\n    pass\n",
        },
        "store",
        {
            "entry_points": (
                ("pkg.store.Store.aload", "native"),
                ("pkg.store.Store.asave", "native"),
            )
        },
        id="a-hop-into-another-components-sync-code-is-not-here",
    ),
    pytest.param(
        {
            "pkg/store.py": """
                from asgiref.sync import sync_to_async

                class Store:
                    def load(self):
                        pass

                    async def aload(self, receive):
                        await receive()
                        return await sync_to_async(self.load)()
            """,
        },
        "store",
        {"entry_points": (("pkg.store.Store.aload", "hops-here"),)},
        id="a-hop-of-its-own-sync-code-beats-native-io-as-in-django-3.0",
    ),
]

# The middleware protocol's adapter credited to the component that owns it.
CLASSES = """
[classes]
"pkg.utils.MiddlewareMixin" = "middleware"
"""


def test_a_class_credited_to_another_component_is_judged_once_there():
    """MiddlewareMixin, in utils, serves middleware: its __acall__ is one of
    middleware's entry points, judged once, the same as where it is listed."""
    result = tree({**BASE, "pkg/middleware.py": MIDDLEWARE}, extra_map=CLASSES)
    middleware = result.component("middleware")
    assert ("pkg.utils.MiddlewareMixin.__acall__", "hops-here") in (
        middleware.entry_points
    )
    assert middleware.inherited_entry_points == ()  # the same component
    assert result.component("utils").entry_points == (
        ("pkg.utils.PlainMixin.arender", "hops-here"),
    )
    assert result.function("pkg.utils.MiddlewareMixin.__acall__").component == (
        "middleware"
    )


@pytest.mark.parametrize(("files", "component", "expected"), ENTRY_POINTS)
def test_entry_points(files, component, expected):
    """Entry points exclude public helpers, include what classes inherit from
    an async-capable class elsewhere, and decide the stage."""
    summary = tree({**BASE, **files}).component(component)
    assert fields(summary, expected) == expected


def test_a_plain_base_gives_no_inherited_entry_point():
    """Widget inherits PlainMixin.arender, but PlainMixin is not async-capable."""
    summary = tree({**BASE, "pkg/middleware.py": MIDDLEWARE}).component("middleware")
    inherited = [name for name, _, _ in summary.inherited_entry_points]
    assert "pkg.middleware.Widget.arender" not in inherited


def test_an_override_is_not_inherited():
    summary = tree({**BASE, "pkg/middleware.py": MIDDLEWARE}).component("middleware")
    inherited = [name for name, _, _ in summary.inherited_entry_points]
    assert "pkg.middleware.AsyncOnlyMiddleware.__acall__" not in inherited


STAGE = [
    pytest.param({}, Stage.SYNC_ONLY, id="no-entry-points"),
    pytest.param({"native": 2, "hops-here": 2}, Stage.ASYNC_WRAPPER, id="a-tie"),
    pytest.param({"native": 3, "hops-here": 2}, Stage.ASYNC_NATIVE, id="mostly-native"),
    pytest.param({"native": 1, "hops-here": 2}, Stage.ASYNC_WRAPPER, id="mostly-hops"),
    pytest.param(
        {"native": 1, "delegates": 1, "hops-here": 1},
        Stage.ASYNC_WRAPPER,
        id="delegation-is-no-native-work",
    ),
    pytest.param(
        {"native": 1, "hops-here": 1, "unknown": 1},
        Stage.UNKNOWN,
        id="the-unknown-decide",
    ),
    pytest.param(
        {"native": 3, "unknown": 1}, Stage.ASYNC_NATIVE, id="native-whatever-unknown"
    ),
    pytest.param(
        {"hops-here": 2, "unknown": 1},
        Stage.ASYNC_WRAPPER,
        id="wrapper-whatever-unknown",
    ),
]


@pytest.mark.parametrize(("judgements", "expected"), STAGE)
def test_judge_stage(judgements, expected):
    """Half or more without native work: async-wrapper; more than half
    native: async-native; else the unknown entry points decide: unknown."""
    assert judge_stage(judgements) is expected


def test_the_stage_rule_is_one_sentence_stated_where_it_is_applied():
    """The page prints STAGE_RULE; judge_stage's docstring states the same."""
    assert STAGE_RULE.count(". ") == 0 and STAGE_RULE.endswith(".")
    doc = " ".join(inspect.getdoc(judge_stage).split("\n\n")[0].split())
    assert STAGE_RULE.startswith(doc.rstrip("."))
    summary = tree(BASE).component("utils")
    assert summary.stage_rule == STAGE_RULE


def test_entry_points_sharing_a_long_chain_or_a_cycle_are_each_judged():
    """Many entry points await one chain of 2,000 calls (or a cycle) that
    hops into the component's own code: each is judged hops-here, what the
    chain reaches found once and shared, without recursion."""
    chain = "".join(f"async def c{i}():\n    await c{i + 1}()\n" for i in range(2000))
    code = (
        "from asgiref.sync import sync_to_async\n\n"
        "def work():\n    pass\n\n"
        + chain
        + "async def c2000():\n    await sync_to_async(work)()\n\n"
        + "async def d0(flag):\n    if flag:\n        await d1(flag)\n\n"
        + "async def d1(flag):\n    await d0(flag)\n    await c1990()\n\n"
        + "".join(f"async def e{i}():\n    await c0()\n" for i in range(50))
        + "async def f0():\n    await d1(True)\n"
        + "async def f1():\n    await d0(True)\n"
    )
    summary = tree({"pkg/store.py": code}).component("store")
    judged = dict(summary.entry_points)
    assert {judged[f"pkg.store.e{i}"] for i in range(50)} == {"hops-here"}
    assert (judged["pkg.store.f0"], judged["pkg.store.f1"]) == ("hops-here",) * 2
    assert "pkg.store.c0" not in judged  # only the component's own APIs await it
