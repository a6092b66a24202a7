"""The harness the snippet tables share: analyse dedented code, pick records."""

import textwrap

from analyzers.file_pass.analyze import analyze_file
from analyzers.records import FileResult, FunctionRecord


def analyze(code: str, *, module: str = "pkg.mod", path: str = "pkg/mod.py"):
    result = analyze_file(textwrap.dedent(code).encode(), module=module, path=path)
    assert result.parse_error is None, result.parse_error
    return result


def function(
    result: FileResult, qualname: str, *, is_async: bool | None = None
) -> FunctionRecord:
    matches = [
        f
        for f in result.functions
        if f.qualname == qualname and is_async in (None, f.is_async)
    ]
    assert len(matches) == 1, [f.qualname for f in result.functions]
    return matches[0]


def fields(record, expected: dict) -> dict:
    """The record's values of the fields a table row names."""
    return {name: getattr(record, name) for name in expected}
