"""Components: which modules and test folders belong where, and each one's stage."""

import functools
import textwrap

import pytest

from analyzers.records import Stage
from analyzers.records import TestSummary as Summary  # not a pytest class
from analyzers.tree_pass.analyze import analyze_sources, tree_pass
from analyzers.tree_pass.components import ComponentMap

COMPONENTS = """
[project]
package = "pkg"
tests = "tests"

[modules]
"pkg.cache" = "cache"
"pkg.db" = "orm"
"pkg.db.models" = "models"
"pkg.auth" = "auth"
"pkg.signals" = "signals"
"pkg.http" = "http"
"pkg.utils" = "utils"

[tests]
"cache_tests" = "cache"
"auth_tests" = "auth"
"signals_tests" = "signals"
"""

TREE = {
    "pkg/__init__.py": "",
    "pkg/cache.py": """
        from asgiref.sync import sync_to_async

        class BaseCache:
            def get(self, key):
                pass

            async def aget(self, key):
                return await sync_to_async(self.get)(key)

            async def aget_many(self, keys):
                return [await self.aget(key) for key in keys]
    """,
    "pkg/db/__init__.py": """
        from asgiref.sync import sync_to_async

        def fetch(query):
            pass

        async def afetch(query):
            return await sync_to_async(fetch)(query)
    """,
    "pkg/db/models/query.py": """
        from asgiref.sync import sync_to_async

        class QuerySet:
            def count(self):
                pass

            async def acount(self):
                return await sync_to_async(self.count)()
    """,
    "pkg/auth.py": """
        from pkg.db import afetch

        async def aget_user(request):
            return await afetch(request.session)

        async def alogin(request, user):
            await afetch(user)
            return await aget_user(request)
    """,
    "pkg/signals.py": """
        class Signal:
            def send(self, sender, receivers):
                responses = []
                for receiver in receivers:
                    responses.append(receiver(sender))
                return responses

            async def asend(self, sender, receivers):
                responses = []
                for receiver in receivers:
                    responses.append(await receiver(sender))
                return responses
    """,
    "pkg/http.py": """
        from asgiref.sync import async_to_sync

        class Client:
            def __init__(self, transport):
                self.transport = transport

            async def arequest(self, url):
                return await self.transport.send(url)

            def request(self, url):
                return async_to_sync(self.arequest)(url)
    """,
    "pkg/utils.py": """
        def helper():
            pass

        async def _private_helper():
            pass
    """,
    "pkg/dbx.py": """
        def unmapped():
            pass
    """,
    "tests/cache_tests/test_cache.py": """
        class CacheTests:
            def test_get(self):
                pass

            async def test_aget(self):
                pass

            async def test_only_async(self):
                pass
    """,
    "tests/auth_tests/test_auth.py": """
        async def test_login_async():
            pass

        def test_login():
            pass

        def helper():
            pass
    """,
    "tests/signals_tests/tests.py": """
        class SignalTests:
            def test_send(self):
                pass

            def test_connect(self):
                pass
    """,
    "tests/signals_tests/tests_async.py": """
        class AsyncSignalTests:
            async def test_asend(self):
                pass

            async def test_connect(self):
                pass

            async def test_only_async(self):
                pass
    """,
    "tests/test_loose.py": """
        async def test_anything():
            pass
    """,
}


@functools.cache
def tree():
    results = analyze_sources(
        [(path, textwrap.dedent(code).encode()) for path, code in TREE.items()]
    )
    return tree_pass(results, ComponentMap.from_toml(COMPONENTS))


# Module prefixes ------------------------------------------------------------
MODULE_COMPONENT = [
    pytest.param("pkg.cache", "cache", id="exact"),
    pytest.param("pkg.db", "orm", id="package"),
    pytest.param("pkg.db.backends.base", "orm", id="below-prefix"),
    pytest.param("pkg.db.models", "models", id="longer-prefix"),
    pytest.param("pkg.db.models.query", "models", id="below-longer-prefix"),
    pytest.param("pkg.dbx", "other", id="prefix-of-the-name-only"),
    pytest.param("pkg", "other", id="unmapped-parent"),
    pytest.param("elsewhere.cache", "other", id="unmapped"),
]


@pytest.mark.parametrize(("module", "expected"), MODULE_COMPONENT)
def test_module_component(module, expected):
    """The longest matching module prefix wins; anything unmatched is "other"."""
    assert ComponentMap.from_toml(COMPONENTS).of_module(module) == expected


FUNCTION_COMPONENT = [
    pytest.param("pkg.db.afetch", "orm", id="package-module"),
    pytest.param("pkg.db.models.query.QuerySet.acount", "models", id="longer-prefix"),
    pytest.param("pkg.dbx.unmapped", "other", id="unmapped"),
]


@pytest.mark.parametrize(("full_name", "expected"), FUNCTION_COMPONENT)
def test_function_component(full_name, expected):
    """The tree pass files each function under its module's component."""
    assert tree().function(full_name).component == expected


# Stage ------------------------------------------------------------------------
STAGE = [
    pytest.param(
        "cache",
        {"stage": Stage.ASYNC_WRAPPER, "boundary": ("cache",), "local_hops": 2},
        id="hops-locally",
    ),
    pytest.param(
        "auth",
        {"stage": Stage.ASYNC_NATIVE, "boundary": ("orm",), "local_hops": 0},
        id="hops-in-the-orm",
    ),
    pytest.param(
        "signals",
        {
            "stage": Stage.ASYNC_NATIVE,
            "boundary": (),
            "reaches": {"async-io": 0, "loop": 1, "thread": 0, "unknown": 0},
            "pairs_by_relation": {"derivable": 1},
            "duplicated": True,
        },
        id="native-and-duplicated",
    ),
    pytest.param(
        "http",
        {
            "stage": Stage.ASYNC_NATIVE,
            "pairs_by_relation": {"delegating": 1},
            "sync_wrapped": True,
            "duplicated": False,
        },
        id="sync-wrapped",
    ),
    pytest.param(
        "utils",
        {"stage": Stage.SYNC_ONLY, "public_async": 0, "boundary": ()},
        id="no-public-async",
    ),
    pytest.param(
        "other",
        {"stage": Stage.SYNC_ONLY, "files": 2, "functions": 1},
        id="unmatched-modules",
    ),
]


@pytest.mark.parametrize(("name", "expected"), STAGE)
def test_component_summary(name, expected):
    """A component is an async wrapper when most public async functions hop in it."""
    summary = tree().component(name)
    assert {key: getattr(summary, key) for key in expected} == expected


# Tests folders ------------------------------------------------------------------
TESTS = [
    pytest.param(
        "cache",
        Summary(
            "cache",
            tests=3,
            async_tests=2,
            async_tests_with_sync_twin=1,
            doubled=(
                (
                    "tests.cache_tests.test_cache.CacheTests.test_aget",
                    "tests.cache_tests.test_cache.CacheTests.test_get",
                ),
            ),
        ),
        id="class-with-a-prefix-twin",
    ),
    pytest.param(
        "auth",
        Summary(
            "auth",
            tests=2,
            async_tests=1,
            async_tests_with_sync_twin=1,
            doubled=(
                (
                    "tests.auth_tests.test_auth.test_login_async",
                    "tests.auth_tests.test_auth.test_login",
                ),
            ),
        ),
        id="module-level-suffix-twin",
    ),
    pytest.param(
        "signals",
        Summary(
            "signals",
            tests=5,
            async_tests=3,
            async_tests_with_sync_twin=2,
            doubled=(
                (
                    "tests.signals_tests.tests_async.AsyncSignalTests.test_asend",
                    "tests.signals_tests.tests.SignalTests.test_send",
                ),
                (
                    "tests.signals_tests.tests_async.AsyncSignalTests.test_connect",
                    "tests.signals_tests.tests.SignalTests.test_connect",
                ),
            ),
        ),
        id="parallel-async-class-in-its-own-module",
    ),
    pytest.param(
        "other",
        Summary("other", tests=1, async_tests=1, async_tests_with_sync_twin=0),
        id="file-outside-a-mapped-folder",
    ),
]


@pytest.mark.parametrize(("name", "expected"), TESTS)
def test_tests_summary(name, expected):
    """Test functions are counted per mapped folder, async ones with a sync
    twin, and those listed with their twin."""
    (summary,) = [s for s in tree().tests if s.component == name]
    assert summary == expected


def test_test_files_are_not_code():
    """Functions of the tests folder stay out of the components' functions."""
    assert not [f for f in tree().functions if f.module.startswith("tests")]
