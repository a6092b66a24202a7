"""Files that do not parse become parse-error records; odd but valid files parse."""

import pytest

from analyzers.file_pass import analyze as file_pass
from analyzers.file_pass.analyze import analyze_file
from analyzers.tree_pass.analyze import analyze_sources

PATH = "pkg/bad.py"
GOOD = b"async def fetch():\n    return await load()\n"


def nested_ifs(levels: int, *, in_async_def: bool) -> bytes:
    indent = 1 if in_async_def else 0
    lines = [b"async def f():\n"] if in_async_def else []
    for level in range(levels):
        lines.append(b"    " * (level + indent) + b"if x:\n")
    lines.append(b"    " * (levels + indent) + b"pass\n")
    return b"".join(lines)


def nested_parens(depth: int, *, in_async_def: bool) -> bytes:
    expression = b"(" * depth + b"1" + b")" * depth
    if in_async_def:
        return b"async def f():\n    return " + expression + b"\n"
    return b"x = " + expression + b"\n"


BAD = [
    pytest.param(b"def f(:\n    pass\n", "", id="syntax-error"),
    pytest.param(b"async def f(:\n    pass\n", "", id="syntax-error-async"),
    pytest.param(b"print 'x'\n", "", id="python-2-print"),
    pytest.param(b"x = 1\x00\n", "", id="nul-byte"),
    pytest.param(b"async def f():\n    return '\x00'\n", "", id="nul-in-string"),
    pytest.param(b"# \x00\ndef f():\n    pass\n", "", id="nul-in-comment"),
    pytest.param(b"x = '\xff'\n", "encoding", id="undecodable-bytes"),
    pytest.param(
        b"# -*- coding: klingon -*-\nx = 1\n", "klingon", id="unknown-encoding"
    ),
    pytest.param(
        nested_parens(1000, in_async_def=False),
        "nested parentheses",
        id="1000-parentheses",
    ),
    pytest.param(
        nested_parens(1000, in_async_def=True),
        "nested parentheses",
        id="1000-parentheses-async",
    ),
    pytest.param(
        nested_ifs(120, in_async_def=False), "indentation", id="120-nested-ifs"
    ),
    pytest.param(
        nested_ifs(120, in_async_def=True), "indentation", id="120-nested-ifs-async"
    ),
]


@pytest.mark.parametrize(("source", "fragment"), BAD)
def test_parse_error(source, fragment):
    """A file that does not parse gives a parse error and no records."""
    result = analyze_file(source, module="pkg.bad", path=PATH)
    assert result.parse_error is not None
    assert result.parse_error.path == PATH
    assert result.parse_error.message
    assert fragment in result.parse_error.message
    assert (result.functions, result.classes, result.pairs) == ((), (), ())


@pytest.mark.parametrize(("source", "fragment"), BAD)
def test_parse_error_spares_other_files(source, fragment):
    """One bad file does not stop the files after it from being analysed."""
    bad, good = analyze_sources([(PATH, source), ("pkg/good.py", GOOD)])
    assert bad.parse_error is not None
    assert good.parse_error is None
    assert [f.qualname for f in good.functions] == ["fetch"]


TOO_DEEP = [
    pytest.param(nested_parens(1000, in_async_def=True), id="1000-parentheses"),
    pytest.param(nested_ifs(120, in_async_def=True), id="120-nested-ifs"),
]


@pytest.mark.parametrize("source", TOO_DEEP)
def test_too_deep_never_reaches_libcst(source, monkeypatch):
    """Nesting CPython refuses is refused before libcst's native parser, which
    could overflow its stack and take the process down."""

    def parse_module(*args, **kwargs):
        raise AssertionError("libcst was asked to parse a too-deep file")

    monkeypatch.setattr(file_pass.cst, "parse_module", parse_module)
    assert analyze_file(source, module="pkg.bad", path=PATH).parse_error is not None


# Odd but valid files ----------------------------------------------------------
LATIN_1 = "# -*- coding: latin-1 -*-\nasync def f():\n    return 'café'\n".encode(
    "latin-1"
)
PEP_695 = b"""\
type Pair = tuple[int, int]


def first[T](items: list[T]) -> T:
    return items[0]


async def fetch(key):
    value = await load(key)
    return value
    # a trailing comment


class Box[T]:
    async def aget(self) -> T:
        return await self.source()
"""

VALID = [
    pytest.param(LATIN_1, {"f": (True, 2, 3)}, id="latin-1-cookie"),
    pytest.param(
        PEP_695,
        {
            "first": (False, 4, 5),
            "fetch": (True, 8, 10),
            "Box.aget": (True, 15, 16),
        },
        id="python-3.12-syntax",
    ),
]


@pytest.mark.parametrize(("source", "expected"), VALID)
def test_valid_source(source, expected):
    """Odd encodings and syntax newer than the running Python still give records
    with the `def` line first and the last body line last."""
    result = analyze_file(source, module="pkg.odd", path="pkg/odd.py")
    assert result.parse_error is None
    assert {
        f.qualname: (f.is_async, f.first_line, f.last_line) for f in result.functions
    } == expected
