"""A def parsed from its own lines (`duplication.parse_def`) is the def the
whole module holds, and twin bodies laid out from it are the lines libcst's
node gives: comparing twins no longer re-prints libcst's node nor parses a
twin module whole."""

import ast
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from analyzers.conventions import load_conventions
from analyzers.file_pass.ast_walk import holds_no_async
from analyzers.file_pass.cst_walk import spans_from_ast
from analyzers.file_pass.duplication import _ast_layouts, _layouts, parse_def
from analyzers.file_pass.names import decode_source, source_lines


def defs_by_line(code: str) -> dict[int, ast.AST]:
    return {
        node.lineno: node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


DEFS = [
    pytest.param("async def f():\n    await g()\n", id="module-level"),
    pytest.param(
        "class A:\n    @decorator\n    async def f(self):\n        return 1\n",
        id="decorated-method",
    ),
    pytest.param(
        textwrap.dedent(
            '''
            class A:
                async def f(self):
                    sql = """
            SELECT *
              FROM t
            """
                    return (
            1,
                    )
            '''
        ),
        id="strings-and-brackets-left-of-the-def",
    ),
    pytest.param("class A:\n\tasync def f(self):\n\t\tawait g()\n", id="tabs"),
    pytest.param(
        "def outer():\n    async def inner():\n        await g()\n    return inner\n",
        id="nested",
    ),
    pytest.param(
        "class A:\n    async def f(self): await g(); return 1\n", id="one-line"
    ),
    pytest.param("if x:\r\n    def f():\r\n        pass\r\n", id="crlf"),
]


@pytest.mark.parametrize("code", DEFS)
def test_each_def_parses_from_its_own_lines_as_the_module_holds_it(code):
    lines = source_lines(code)
    for line, node in defs_by_line(code).items():
        alone = parse_def(lines, line, node.end_lineno)
        assert alone is not None
        assert ast.dump(alone.body[-1]) == ast.dump(node.body[-1])
        assert type(alone) is type(node) and alone.name == node.name
        assert len(alone.body) == len(node.body)


def test_each_parse_gives_a_fresh_node():
    lines = source_lines("async def f():\n    await g()\n")
    assert parse_def(lines, 1, 2) is not parse_def(lines, 1, 2)


@pytest.mark.parametrize(
    ("code", "first", "last"),
    [
        pytest.param("x = 1\ny = 2\n", 1, 2, id="not-a-def"),
        pytest.param("def f():\n    pass\ndef g():\n    pass\n", 1, 4, id="two-defs"),
        pytest.param("def f():\n    return (1,\n", 1, 2, id="cut-short"),
        pytest.param("def f():\n    pass\n", 5, 9, id="past-the-end"),
    ],
)
def test_lines_that_are_not_one_def_give_none(code, first, last):
    assert parse_def(source_lines(code), first, last) is None


def _async_files(tree: Path, limit: int | None = None):
    conventions = load_conventions()
    found = []
    for path in sorted(tree.rglob("*.py")):
        data = path.read_bytes()
        if not holds_no_async(data, conventions):
            found.append(data)
    return found[:limit]


def _cst_defs(data: bytes) -> list[cst.FunctionDef]:
    found = []

    class Defs(cst.CSTVisitor):
        def visit_FunctionDef(self, node):
            found.append(node)

    cst.parse_module(data).visit(Defs())
    return found


@pytest.mark.realdata
def test_every_def_of_real_async_files_lays_out_as_from_libcst(
    django61_tree, httpcore_tree
):
    """Every def (sync and async) of every file with async code in Django
    6.1.3's package and httpcore 1.0.9: the layouts from its own lines equal
    those from libcst's node, with the catalogue's renames and unasync."""
    conventions = load_conventions()
    compared = 0
    for tree in (django61_tree / "django", httpcore_tree / "httpcore"):
        for data in _async_files(tree):
            text = decode_source(data)
            lines = source_lines(text)
            spans = spans_from_ast(ast.parse(data)).defs
            nodes = _cst_defs(data)
            assert len(nodes) == len(spans)
            for node, (first, last) in zip(nodes, spans, strict=True):
                for unasync in (None, conventions.unasync):
                    applied_cst, applied_ast = set(), set()
                    names_cst, names_ast = set(), set()
                    shown_cst, lines_cst = _layouts(
                        node, conventions.renames, unasync, applied_cst, names_cst
                    )
                    shown_ast, lines_ast = _ast_layouts(
                        parse_def(lines, first, last),
                        conventions.renames,
                        unasync,
                        applied_ast,
                        names_ast,
                    )
                    assert lines_ast == lines_cst
                    assert shown_ast() == shown_cst()
                    assert (applied_ast, names_ast) == (applied_cst, names_cst)
                    compared += 1
    assert compared > 2_000
