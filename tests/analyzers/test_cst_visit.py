"""`cst_visit.walk` calls a visitor's hooks exactly as libcst's own visit does."""

import dataclasses
import inspect
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from analyzers.file_pass import cst_visit
from analyzers.file_pass.ast_walk import holds_no_async
from analyzers.file_pass.cst_visit import walk


def _recorder_class(*, tokens: bool) -> type:
    """A visitor with every hook libcst could call, each noting its call;
    `visit_Lambda` and `visit_ClassDef` answer False (children skipped).
    Without `tokens`, none for whitespace, comments, operators, brackets."""

    def hook(name: str):
        def noted(self, node):
            self.calls.append((name, id(node)))
            return False if name in ("visit_Lambda", "visit_ClassDef") else None

        return noted

    hooks = {}
    for name, node_type in inspect.getmembers(cst, inspect.isclass):
        if not issubclass(node_type, cst.CSTNode) or not dataclasses.is_dataclass(
            node_type
        ):
            continue
        if not tokens and node_type in cst_visit._TOKENS:
            continue
        hooks[f"visit_{name}"] = hook(f"visit_{name}")
        hooks[f"leave_{name}"] = hook(f"leave_{name}")
        for field in dataclasses.fields(node_type):
            for side in ("visit", "leave"):
                attribute_hook = f"{side}_{name}_{field.name}"
                hooks[attribute_hook] = hook(attribute_hook)

    def __init__(self) -> None:
        cst.CSTVisitor.__init__(self)
        self.calls = []

    return type("Recorder", (cst.CSTVisitor,), {"__init__": __init__, **hooks})


Recorder = _recorder_class(tokens=True)
# No hook for a token: the walk does not go into them (a third of the nodes).
NodeRecorder = _recorder_class(tokens=False)


def calls_both_ways(source: bytes, recorder: type = Recorder) -> tuple[list, list]:
    module = cst.parse_module(source)
    libcst_visit, fast = recorder(), recorder()
    module.visit(libcst_visit)
    walk(module, fast)
    return libcst_visit.calls, fast.calls


SNIPPETS = [
    pytest.param(
        """
        async def view(request, *args, key=None, **kw):
            async with lock as held, other():
                async for row in rows(a if b else c):
                    await sync_to_async(save)(row)
            return [x async for x in gen() if x and not y]
        """,
        id="async-statements",
    ),
    pytest.param(
        """
        from . import (a, b as c)
        from .x import *
        import os.path as p
        @decorator(arg)
        class C(Base, metaclass=M):
            x: int = 1
            def method(self): return lambda y: y + 1
        """,
        id="imports-classes-lambda",
    ),
    pytest.param(
        """
        name = f"{value!r:>{width}} {other} {plain=}"
        try:
            pass
        except* ValueError as e:
            raise
        else:
            del x[1:2, ::3]
        finally:
            y = (z := 1)
        match command:
            case [1, *rest] | {"k": v, **kw} if rest:
                pass
            case Point(x=0):
                pass
        """,
        id="fstrings-trystar-match",
    ),
    pytest.param(
        """
        while x < y <= z: x += 1
        else: global g; nonlocal n
        with (open(a) as f, open(b)): print(*args, sep="")
        assert x, "message"; yield from gen(); t = a[b], {1, 2}, {**d}
        """,
        id="statements-expressions",
    ),
]


@pytest.mark.parametrize("recorder", [Recorder, NodeRecorder])
@pytest.mark.parametrize("code", SNIPPETS)
def test_walk_calls_the_hooks_libcst_calls_in_the_same_order(code, recorder):
    """Every visit, leave and attribute hook, same nodes, same order, with
    children skipped where a visit hook answers False; a visitor with no
    hook for whitespace or operators sees the same without them."""
    expected, got = calls_both_ways(textwrap.dedent(code).encode(), recorder)
    assert got == expected
    assert len(got) > 20


def test_a_visitor_with_its_own_on_visit_goes_through_libcst():
    """A visitor overriding the generic entry points is visited by libcst."""

    class Counting(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.seen = 0

        def on_visit(self, node: cst.CSTNode) -> bool:
            self.seen += 1
            return True

    module = cst.parse_module(b"x = f(1)\n")
    counting = Counting()
    walk(module, counting)
    assert counting.seen == len(list(_all_nodes(module)))


def _all_nodes(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _all_nodes(child)


def test_walk_matches_libcst_on_the_async_files_of_django_61(django61_tree: Path):
    """The same hook calls on every file of a real release that takes the
    libcst path (it holds async code), its tests included."""
    differing = []
    files = [
        path
        for path in sorted(django61_tree.rglob("*.py"))
        if not holds_no_async(path.read_bytes())
    ]
    for path in files:
        source = path.read_bytes()
        try:
            both = [calls_both_ways(source, r) for r in (Recorder, NodeRecorder)]
        except cst.ParserSyntaxError:
            continue
        if any(got != expected for expected, got in both):
            differing.append(path.relative_to(django61_tree))
    assert len(files) > 100
    assert differing == []


def test_only_a_visitor_without_token_hooks_skips_tokens():
    """The recorder without token hooks is the one the walk prunes for, and
    so are the analyzer's own visitors."""
    from analyzers.file_pass.cst_walk import Collector

    assert cst_visit._ignores_tokens(NodeRecorder)
    assert cst_visit._ignores_tokens(Collector)
    assert not cst_visit._ignores_tokens(Recorder)
