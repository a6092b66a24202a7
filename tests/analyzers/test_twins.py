"""Twin pairs by the naming conventions, and public sync methods missing a twin."""

import pytest
from snippets import analyze

from analyzers.records import FileResult


def twin_of(result: FileResult, qualname: str, *, is_async: bool) -> str:
    (record,) = [
        f for f in result.functions if f.qualname == qualname and f.is_async is is_async
    ]
    return record.twin


def pair_of(result: FileResult, async_qualname: str) -> tuple[str, str]:
    (pair,) = [p for p in result.pairs if p.async_qualname == async_qualname]
    return pair.sync_qualname, pair.convention


# Pairing ------------------------------------------------------------------
TWINS = [
    pytest.param(
        """
        class Cache:
            def get(self, key):
                pass

            async def aget(self, key):
                pass
        """,
        "Cache.aget",
        ("Cache.get", "prefix"),
        id="get-aget",
    ),
    pytest.param(
        """
        class Signal:
            def send(self, sender):
                pass

            async def asend(self, sender):
                pass
        """,
        "Signal.asend",
        ("Signal.send", "prefix"),
        id="send-asend",
    ),
    pytest.param(
        """
        def authenticate(request):
            pass

        async def aauthenticate(request):
            pass
        """,
        "aauthenticate",
        ("authenticate", "prefix"),
        id="module-level-authenticate",
    ),
    pytest.param(
        """
        class Middleware:
            def __call__(self, request):
                pass

            async def __acall__(self, request):
                pass
        """,
        "Middleware.__acall__",
        ("Middleware.__call__", "dunder"),
        id="call-acall",
    ),
    pytest.param(
        """
        class QuerySet:
            def __iter__(self):
                pass

            async def __aiter__(self):
                pass
        """,
        "QuerySet.__aiter__",
        ("QuerySet.__iter__", "dunder"),
        id="iter-aiter",
    ),
    pytest.param(
        """
        class Atomic:
            def __enter__(self):
                pass

            async def __aenter__(self):
                pass
        """,
        "Atomic.__aenter__",
        ("Atomic.__enter__", "dunder"),
        id="enter-aenter",
    ),
    pytest.param(
        """
        class Backend:
            def _get_perms(self, user):
                pass

            async def _aget_perms(self, user):
                pass
        """,
        "Backend._aget_perms",
        ("Backend._get_perms", "prefix"),
        id="private-prefix",
    ),
    pytest.param(
        """
        class Handler:
            def get_response(self, request):
                pass

            async def get_response_async(self, request):
                pass
        """,
        "Handler.get_response_async",
        ("Handler.get_response", "suffix"),
        id="suffix-async",
    ),
    pytest.param(
        """
        from asgiref.sync import iscoroutinefunction

        def deco(view):
            if iscoroutinefunction(view):
                async def _wrapper(request):
                    return await view(request)
            else:
                def _wrapper(request):
                    return view(request)
            return _wrapper
        """,
        "deco.<locals>._wrapper",
        ("deco.<locals>._wrapper", "same-name"),
        id="same-name-in-if-branches",
    ),
    pytest.param(
        """
        class Paginator:
            def page(self, number):
                pass

        class AsyncPaginator:
            async def apage(self, number):
                pass
        """,
        "AsyncPaginator.apage",
        ("Paginator.page", "sibling-class prefix"),
        id="async-sibling-class",
    ),
    pytest.param(
        """
        class Page:
            def has_previous(self):
                pass

        class AsyncPage:
            def has_previous(self):
                pass

            async def ahas_previous(self):
                pass
        """,
        "AsyncPage.ahas_previous",
        ("AsyncPage.has_previous", "prefix"),
        id="own-class-before-sibling",
    ),
    # Stainless's generated clients (openai, anthropic, ...): the sync class
    # carries a marker of its own.
    pytest.param(
        """
        class SyncAPIClient:
            def close(self):
                pass

        class AsyncAPIClient:
            async def close(self):
                pass
        """,
        "AsyncAPIClient.close",
        ("SyncAPIClient.close", "sibling-class same-name"),
        id="sync-marked-sibling-class",
    ),
    pytest.param(
        """
        class BaseSyncPage:
            def get_next_page(self):
                pass

        class BaseAsyncPage:
            async def get_next_page(self):
                pass
        """,
        "BaseAsyncPage.get_next_page",
        ("BaseSyncPage.get_next_page", "sibling-class same-name"),
        id="marker-inside-the-class-name",
    ),
    pytest.param(
        """
        def csp_override(view):
            async def _wrapped_async_view(request):
                pass

            def _wrapped_sync_view(request):
                pass
        """,
        "csp_override.<locals>._wrapped_async_view",
        ("csp_override.<locals>._wrapped_sync_view", "infix"),
        id="async-infix",
    ),
]


@pytest.mark.parametrize(("code", "async_qualname", "expected"), TWINS)
def test_twin_pair(code, async_qualname, expected):
    """An async def pairs with the sync def its name maps to, in the same scope."""
    result = analyze(code)
    assert pair_of(result, async_qualname) == expected
    sync_qualname, _ = expected
    assert twin_of(result, async_qualname, is_async=True) == sync_qualname
    assert twin_of(result, sync_qualname, is_async=False) == async_qualname


NO_TWIN = [
    pytest.param(
        """
        async def stream():
            pass

        def get():
            pass
        """,
        "stream",
        id="no-sync-counterpart",
    ),
    pytest.param(
        """
        class Reader:
            def fetch(self):
                pass

        class AsyncWriter:
            async def afetch(self):
                pass
        """,
        "AsyncWriter.afetch",
        id="different-classes-not-siblings",
    ),
    pytest.param(
        """
        class SyncReader:
            def fetch(self):
                pass

        class AsyncWriter:
            async def fetch(self):
                pass
        """,
        "AsyncWriter.fetch",
        id="a-sync-marked-class-of-another-name",
    ),
    pytest.param(
        """
        class Paginator:
            def page(self):
                pass

        def build():
            class AsyncPaginator:
                async def apage(self):
                    pass
        """,
        "build.<locals>.AsyncPaginator.apage",
        id="sibling-name-in-another-scope",
    ),
    pytest.param(
        """
        def fetch():
            pass

        class Reader:
            async def afetch(self):
                pass
        """,
        "Reader.afetch",
        id="module-def-and-method",
    ),
    pytest.param(
        """
        def outer():
            def fetch():
                pass

        def other():
            async def afetch():
                pass
        """,
        "other.<locals>.afetch",
        id="different-enclosing-defs",
    ),
]


@pytest.mark.parametrize(("code", "async_qualname"), NO_TWIN)
def test_no_twin(code, async_qualname):
    """Names that follow no convention, or live in different scopes, do not pair."""
    result = analyze(code)
    assert twin_of(result, async_qualname, is_async=True) == ""
    assert result.pairs == ()


# Missing twins --------------------------------------------------------------
MISSING_CODE = """
from functools import cached_property

from asgiref.sync import sync_to_async

class Cache:
    def __init__(self, location):
        self.location = location

    def get(self, key):
        pass

    async def aget(self, key):
        pass

    def delete(self, key):
        pass

    def __call__(self):
        pass

    def __repr__(self):
        return "Cache()"

    def __exit__(self, *exc):
        pass

    @property
    def size(self):
        return 0

    @cached_property
    def client(self):
        return None

    @size.setter
    def size(self, value):
        pass

    @staticmethod
    def make_key(key):
        return key

    def _cull(self):
        pass

    def touch(self, key):
        pass

    atouch = sync_to_async(touch)

class SyncOnly:
    def get(self, key):
        pass

    def delete(self, key):
        pass
"""
MISSING = [
    pytest.param("Cache.get", False, id="has-async-twin"),
    pytest.param("Cache.delete", True, id="public-method-without-twin"),
    pytest.param("Cache.__call__", True, id="twinnable-dunder-without-twin"),
    pytest.param("Cache.__exit__", True, id="exit-without-aexit"),
    pytest.param("Cache.__init__", False, id="init"),
    pytest.param("Cache.__repr__", False, id="other-dunder"),
    pytest.param("Cache._cull", False, id="private"),
    pytest.param("Cache.make_key", False, id="staticmethod"),
    pytest.param("Cache.client", False, id="cached_property"),
    pytest.param(
        "Cache.touch",
        False,
        id="twin-is-a-class-level-product",
    ),
    pytest.param("SyncOnly.get", False, id="class-without-async-methods"),
    pytest.param("SyncOnly.delete", False, id="class-without-async-methods-2"),
]


@pytest.mark.parametrize(("qualname", "expected"), MISSING)
def test_missing_twin(qualname, expected):
    """A public sync method of a class with async methods lacks a twin, if not
    an attribute, a constructor or a dunder with no async form."""
    (record,) = [f for f in analyze(MISSING_CODE).functions if f.qualname == qualname]
    assert record.missing_twin is expected


def test_sync_sibling_methods_without_async_twin_are_missing():
    """A sync class whose async sibling pairs with it lacks what the sibling
    does not mirror."""
    result = analyze(
        """
        class Paginator:
            def page(self, number):
                pass

            def count(self):
                pass

        class AsyncPaginator:
            async def apage(self, number):
                pass
        """
    )
    missing = {f.qualname for f in result.functions if f.missing_twin}
    assert missing == {"Paginator.count"}


def test_property_and_setter_are_not_missing_twins():
    """Both the getter and the setter of a property are attributes."""
    result = analyze(MISSING_CODE)
    sizes = [f for f in result.functions if f.qualname == "Cache.size"]
    assert [f.missing_twin for f in sizes] == [False, False]
