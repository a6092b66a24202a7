"""A component's stage by its async entry points, own and inherited."""

import inspect
import textwrap

import pytest
from snippets import fields

from analyzers.components import STAGE_RULE, ComponentMap, judge_stage
from analyzers.tree import analyze_sources, tree_pass
from analyzers.types import Stage

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
"""

UTILS = """
from asgiref.sync import sync_to_async

class MiddlewareMixin:
    async_capable = True

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


def tree(files: dict[str, str]):
    results = analyze_sources(
        [(path, textwrap.dedent(code).encode()) for path, code in files.items()]
    )
    return tree_pass(results, ComponentMap.from_toml(COMPONENTS))


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
            "stage": Stage.ASYNC_WRAPPER,
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
            "entry_judgements": {"hops-here": 2, "native": 1},
        },
        id="inherited-from-an-async-capable-mixin",
    ),
    pytest.param(
        {"pkg/store.py": STORE},
        "store",
        {
            "stage": Stage.ASYNC_NATIVE,
            "entry_points": (
                ("pkg.store.CachedQuerySet.aget", "delegates"),
                ("pkg.store.Store.aload", "native"),
            ),
            "entry_judgements": {"delegates": 1, "native": 1},
        },
        id="delegation-and-private-helper",
    ),
]


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
    pytest.param({"native": 2, "hops-here": 2}, Stage.ASYNC_NATIVE, id="half-native"),
    pytest.param({"native": 1, "hops-here": 2}, Stage.ASYNC_WRAPPER, id="mostly-hops"),
    pytest.param(
        {"native": 1, "delegates": 1, "hops-here": 1},
        Stage.ASYNC_WRAPPER,
        id="delegation-is-no-native-work",
    ),
]


@pytest.mark.parametrize(("judgements", "expected"), STAGE)
def test_judge_stage(judgements, expected):
    """More than half the entry points without native work: async-wrapper."""
    assert judge_stage(judgements) is expected


def test_the_stage_rule_is_one_sentence_stated_where_it_is_applied():
    """The page prints STAGE_RULE; judge_stage's docstring states the same."""
    assert STAGE_RULE.count(". ") == 0 and STAGE_RULE.endswith(".")
    doc = " ".join(inspect.getdoc(judge_stage).split("\n\n")[0].split())
    assert STAGE_RULE.startswith(doc.rstrip("."))
    summary = tree(BASE).component("utils")
    assert summary.stage_rule == STAGE_RULE
