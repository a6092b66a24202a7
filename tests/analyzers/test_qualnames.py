"""How defs and classes are named and described: qualnames of nested defs,
publicness, and class records. One table of inline snippets per rule.
"""

import pytest
from snippets import analyze, fields, function

# Names of nested defs -----------------------------------------------------
NESTED = [
    pytest.param(
        """
        def outer():
            def inner():
                pass

            async def ainner():
                pass

            return inner, ainner
        """,
        (
            ("outer", False, True, ""),
            ("outer.<locals>.inner", False, False, "outer.<locals>.ainner"),
            ("outer.<locals>.ainner", True, False, "outer.<locals>.inner"),
        ),
        id="closures",
    ),
    pytest.param(
        """
        from asgiref.sync import iscoroutinefunction

        def deco(view):
            if iscoroutinefunction(view):
                async def _view_wrapper(request, *args, **kwargs):
                    return await view(request, *args, **kwargs)
            else:
                def _view_wrapper(request, *args, **kwargs):
                    return view(request, *args, **kwargs)
            return _view_wrapper
        """,
        (
            ("deco", False, True, ""),
            (
                "deco.<locals>._view_wrapper",
                True,
                False,
                "deco.<locals>._view_wrapper",
            ),
            (
                "deco.<locals>._view_wrapper",
                False,
                False,
                "deco.<locals>._view_wrapper",
            ),
        ),
        id="view-decorator",
    ),
    pytest.param(
        """
        class Handler:
            async def handle(self):
                async def step():
                    pass

                return await step()
        """,
        (
            ("Handler.handle", True, True, ""),
            ("Handler.handle.<locals>.step", True, False, ""),
        ),
        id="def-in-method",
    ),
]


@pytest.mark.parametrize(("code", "expected"), NESTED)
def test_nested_defs(code, expected):
    """Nested defs are named like __qualname__; a closure is never public: it
    is no API, whatever its outer function is."""
    result = analyze(code)
    assert (
        tuple((f.qualname, f.is_async, f.public, f.twin) for f in result.functions)
        == expected
    )


VARIANTS = [
    pytest.param(
        """
        import sys

        if sys.platform == "win32":
            def load():
                pass
        else:
            def load():
                pass
        """,
        (("load", False, 0), ("load", False, 1)),
        id="same-name-same-colour-in-both-branches",
    ),
    pytest.param(
        """
        def deco(view):
            if view:
                async def _wrapper():
                    pass
            else:
                def _wrapper():
                    pass
            return _wrapper
        """,
        (
            ("deco", False, 0),
            ("deco.<locals>._wrapper", True, 0),
            ("deco.<locals>._wrapper", False, 0),
        ),
        id="sync-and-async-branches-differ-by-colour",
    ),
]


@pytest.mark.parametrize(("code", "expected"), VARIANTS)
def test_variants_keep_same_named_defs_apart(code, expected):
    """Identity is (module, qualname, is_async, variant): defs of one name and
    colour are numbered in source order, so releases never mix them up."""
    result = analyze(code)
    assert (
        tuple((f.qualname, f.is_async, f.variant) for f in result.functions) == expected
    )


# Publicness ---------------------------------------------------------------
PUBLIC_CODE = """
def _private():
    pass

def public():
    pass

class Class:
    def _m(self):
        pass

    async def __acall__(self):
        pass

    def __mangled(self):
        pass

class _Private:
    async def m(self):
        pass

def _outer():
    async def inner():
        pass
"""
PUBLIC = [
    pytest.param("_private", False, id="underscore-function"),
    pytest.param("public", True, id="public-function"),
    pytest.param("Class._m", False, id="underscore-method"),
    pytest.param("Class.__acall__", True, id="dunder-method"),
    pytest.param("Class.__mangled", False, id="name-mangled-method"),
    pytest.param("_Private.m", False, id="method-of-private-class"),
    pytest.param("_outer.<locals>.inner", False, id="nested-in-private-function"),
]


@pytest.mark.parametrize(("qualname", "expected"), PUBLIC)
def test_public(qualname, expected):
    """No part of the qualname is private; dunders are public, `__x` is not."""
    assert function(analyze(PUBLIC_CODE), qualname).public is expected


# Classes ------------------------------------------------------------------
CLASS = [
    pytest.param(
        """
        class Middleware:
            async_capable = True
            sync_capable = False

            async def __call__(self, request):
                pass
        """,
        "Middleware",
        {"async_capable": True, "sync_capable": False, "marks_coroutine": False},
        id="capability-flags",
    ),
    pytest.param(
        """
        from asgiref.sync import markcoroutinefunction

        class Middleware:
            def __init__(self, get_response):
                self.get_response = get_response
                markcoroutinefunction(self)
        """,
        "Middleware",
        {"marks_coroutine": True},
        id="markcoroutinefunction-in-init",
    ),
    pytest.param(
        """
        from asgiref import sync

        class Middleware:
            def __init__(self, get_response):
                if sync.iscoroutinefunction(get_response):
                    sync.markcoroutinefunction(self)
        """,
        "Middleware",
        {"marks_coroutine": True},
        id="dotted-markcoroutinefunction",
    ),
    pytest.param(
        """
        from django.db import models

        class Entry(models.Model):
            async def asave(self):
                pass
        """,
        "Entry",
        {
            "bases": ("django.db.models.Model",),
            "async_capable": False,
            "sync_capable": False,
            "marks_coroutine": False,
        },
        id="plain-class-bases-resolved",
    ),
]


@pytest.mark.parametrize(("code", "qualname", "expected"), CLASS)
def test_class(code, qualname, expected):
    """Classes record resolved bases, capability flags and coroutine marking."""
    (record,) = [c for c in analyze(code).classes if c.qualname == qualname]
    assert fields(record, expected) == expected
