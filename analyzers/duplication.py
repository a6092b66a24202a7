"""Normalise twin bodies and measure how much of the async one repeats the sync one.

Normalising drops docstrings and comments, drops `async` and `await`, turns
`async for`/`async with` into `for`/`with` and maps async names back to their
sync spelling, so that what is left is the real difference between the twins.
libcst keeps the author's line layout, so duplicated lines are source lines.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass

import libcst as cst

from analyzers.names import cst_dotted

NEAR_COPY = 0.8


@dataclass(frozen=True)
class Comparison:
    similarity: float
    duplicated_lines: int
    sync_only: tuple[str, ...]
    async_only: tuple[str, ...]
    sync_hash: str
    async_hash: str
    renames: tuple[str, ...]

    @property
    def equal(self) -> bool:
        return self.sync_hash == self.async_hash


def compare_twins(
    sync_def: cst.FunctionDef, async_def: cst.FunctionDef, renames: dict[str, str]
) -> Comparison:
    sync_lines = normalised_lines(sync_def, {})
    own = _names_in(sync_def)
    # An a-prefixed name whose plain form the sync twin uses: asend -> send.
    pair_renames = dict(renames)
    for name in _names_in(async_def) - own:
        if name.startswith("a") and name[1:] in own:
            pair_renames.setdefault(name, name[1:])
    applied: set[str] = set()
    async_lines = normalised_lines(async_def, pair_renames, applied)
    matcher = difflib.SequenceMatcher(None, sync_lines, async_lines, autojunk=False)
    sync_only, async_only = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            sync_only.extend(sync_lines[i1:i2])
            async_only.extend(async_lines[j1:j2])
    return Comparison(
        similarity=round(matcher.ratio(), 4),
        duplicated_lines=sum(block.size for block in matcher.get_matching_blocks()),
        sync_only=tuple(line.strip() for line in sync_only),
        async_only=tuple(line.strip() for line in async_only),
        sync_hash=body_hash(sync_lines),
        async_hash=body_hash(async_lines),
        renames=tuple(
            sorted(
                f"{old}->{new}" for old, new in pair_renames.items() if old in applied
            )
        ),
    )


def body_hash(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:20]


def normalised_lines(
    node: cst.FunctionDef, renames: dict[str, str], applied: set[str] | None = None
) -> list[str]:
    body = node.body
    if isinstance(body, cst.SimpleStatementSuite):
        statements = [cst.SimpleStatementLine(body=body.body)]
    else:
        statements = list(body.body)
    if statements and _is_docstring(statements[0]):
        statements = statements[1:]
    module = cst.Module(body=statements)
    normalised = module.visit(
        _Normaliser(renames, set() if applied is None else applied)
    )
    return [line.rstrip() for line in normalised.code.splitlines() if line.strip()]


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(
            statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)
        )
    )


def _names_in(node: cst.CSTNode) -> set[str]:
    collector = _NameCollector()
    node.visit(collector)
    return collector.names


class _NameCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


class _Normaliser(cst.CSTTransformer):
    def __init__(self, renames: dict[str, str], applied: set[str]) -> None:
        self.renames = renames
        self.applied = applied

    def leave_Await(self, original, updated):
        return updated.expression

    def leave_For(self, original, updated):
        return updated.with_changes(asynchronous=None)

    def leave_With(self, original, updated):
        return updated.with_changes(asynchronous=None)

    def leave_CompFor(self, original, updated):
        return updated.with_changes(asynchronous=None)

    def leave_FunctionDef(self, original, updated):
        return updated.with_changes(asynchronous=None)

    def leave_Name(self, original, updated):
        new = self.renames.get(updated.value)
        if new is None or "." in new:
            return updated
        self.applied.add(updated.value)
        return updated.with_changes(value=new)

    def leave_Attribute(self, original, updated):
        # Dotted renames (asyncio.sleep -> time.sleep) replace the whole chain.
        dotted = cst_dotted(original)
        if dotted and "." in dotted and dotted in self.renames:
            self.applied.add(dotted)
            return cst.parse_expression(self.renames[dotted])
        return updated

    def leave_EmptyLine(self, original, updated):
        return cst.RemoveFromParent()

    def leave_TrailingWhitespace(self, original, updated):
        return updated.with_changes(whitespace=cst.SimpleWhitespace(""), comment=None)
