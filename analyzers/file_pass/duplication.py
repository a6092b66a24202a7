"""Normalise twin bodies and measure how much of the async one repeats the sync one.

Normalising follows unasync's generic rule: drop docstrings and comments,
drop `async` and `await`, turn `async for`/`async with` into `for`/`with`,
map the catalogue's non-prefix renames (`StopAsyncIteration`, `asyncio.sleep`)
in the async body, then map every name `aX` there to `X` (and the other twin
naming conventions: `async_x`, `x_async`): functions, methods, attributes,
keyword arguments and string literals naming them, except a name the sync
body uses too (`args`, `all`: the same name on both sides). Bodies are
compared in one canonical layout (`ast.unparse`: a statement a line, no
comments), so a pair that only differs by how black wrapped a longer awaited
line is still token-identical; duplicated lines are lines of that layout.

Normalising is linear in a pair's size; the diff is bounded. difflib's
matcher costs up to (2 min(n, m) + 1) x (P + n + m) steps for n sync lines,
m async lines and P equal line pairs between them, cubic at worst (two
bodies of 52,000 equal lines: 479 s). Django's largest pairs need under
10,000 of those steps; a pair that would need over DIFF_BUDGET is compared
as two multisets of lines instead, in linear time: its duplicated lines are
the lines the async body repeats in any order (an upper bound of what the
matcher finds, and the same for identical bodies).
"""

from __future__ import annotations

import ast
import difflib
import functools
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from analyzers.file_pass.ast_walk import dotted as ast_dotted
from analyzers.file_pass.names import cst_dotted
from analyzers.records import Relation

NEAR_COPY = 0.8
DIFF_BUDGET = 4_000_000  # steps of difflib's matcher, see above


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

    def copy_relation(self) -> Relation:
        """How close the two bodies are, for a pair where neither side
        delegates to the other: within a module or across twin modules."""
        if self.equal:
            return Relation.DERIVABLE
        if self.similarity >= NEAR_COPY:
            return Relation.NEAR_COPY
        return Relation.DIVERGENT

    def pair_fields(self) -> dict:
        """The TwinPair fields this comparison gives, named as there."""
        return dict(
            similarity=self.similarity,
            duplicated_lines=self.duplicated_lines,
            sync_only_lines=self.sync_only,
            async_only_lines=self.async_only,
            sync_hash=self.sync_hash,
            async_hash=self.async_hash,
            renames=self.renames,
        )


def compare_twins(
    sync_def: cst.FunctionDef,
    async_def: cst.FunctionDef,
    renames: dict[str, str],
    unasync: Callable[[str], str] | None = None,
    *,
    if_true_is_async_only: bool = False,
) -> Comparison:
    """Compare a pair. `renames` is the catalogue (and the pair's own names),
    applied to the async body; `unasync` maps any name to its sync spelling
    (`aget` -> `get`), applied to the async body's names the sync body lacks.
    With `if_true_is_async_only`, an `if True:` block of the async body is
    code only it has (psycopg's `if True:  # ASYNC`): its `else` is read
    in its place."""
    return _compare(
        functools.partial(_layouts, sync_def),
        functools.partial(_layouts, async_def, drop_if_true=if_true_is_async_only),
        renames,
        unasync,
    )


def compare_twin_nodes(
    sync_def: ast.FunctionDef,
    async_def: ast.FunctionDef | ast.AsyncFunctionDef,
    renames: dict[str, str],
    unasync: Callable[[str], str] | None = None,
    *,
    if_true_is_async_only: bool = False,
) -> Comparison:
    """As compare_twins, on Python's ast (pairs across twin modules, whose
    texts the tree pass parses): the nodes are normalised in place, so each
    is compared once."""
    return _compare(
        functools.partial(_ast_layouts, sync_def),
        functools.partial(_ast_layouts, async_def, drop_if_true=if_true_is_async_only),
        renames,
        unasync,
    )


def parse_def(
    lines: list[str], first: int, last: int
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The def on lines `first` (its `def` line, 1-based) to `last` of a
    module (`names.source_lines`), parsed from those lines alone: a fresh
    node for each comparison (normalising changes it), at a fraction of the
    cost of parsing the whole module again or of printing libcst's node.
    An indented def is parsed inside an `if 1:` block, so string and
    bracketed lines keep their text whatever their indentation. None when
    the lines do not parse as one def on their own."""
    segment = lines[max(first, 1) - 1 : last]
    if not segment:
        return None
    code = "\n".join(segment)
    indented = segment[0][:1] in (" ", "\t")
    try:
        tree = ast.parse("if 1:\n" + code if indented else code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    body = tree.body[0].body if indented and tree.body else tree.body
    if len(body) != 1 or not isinstance(
        body[0], (ast.FunctionDef, ast.AsyncFunctionDef)
    ):
        return None
    return body[0]


def _compare(sync_layouts, async_layouts, renames, unasync) -> Comparison:
    unasync = unasync or (lambda name: name)
    applied: set[str] = set()
    sync_names: set[str] = set()
    sync_shown, sync_lines = sync_layouts({}, None, set(), sync_names)

    def unasync_async_side(name: str) -> str:
        return name if name in sync_names else unasync(name)

    async_shown, async_lines = async_layouts(renames, unasync_async_side, applied)
    matched, sync_only, async_only = unmatched_lines(sync_lines, async_lines)
    total = len(sync_lines) + len(async_lines)
    # Report the renames that made a name meet the sync twin's: asend->send.
    reported = {
        f"{old}->{new}"
        for old, new in {**{n: unasync(n) for n in applied}, **renames}.items()
        if old in applied and old != new and new.split(".")[-1] in sync_names
    }
    return Comparison(
        # As difflib's ratio() computes it.
        similarity=round(2.0 * matched / total if total else 1.0, 4),
        duplicated_lines=matched,
        sync_only=_shown(sync_shown, sync_only),
        async_only=_shown(async_shown, async_only),
        sync_hash=body_hash(sync_lines),
        async_hash=body_hash(async_lines),
        renames=tuple(sorted(reported)),
    )


def _shown(shown: Callable[[], list[str]], indices: list[int]) -> tuple[str, ...]:
    """The lines at `indices` as a reader sees them (laid out only when some
    are asked for: a derivable pair has none)."""
    if not indices:
        return ()
    lines = shown()
    return tuple(lines[i].strip() for i in indices)


def unmatched_lines(a: list[str], b: list[str]) -> tuple[int, list[int], list[int]]:
    """How many lines `a` and `b` share, and the indices of the others of each.

    difflib's matcher while its cost stays within DIFF_BUDGET, else the
    lines as multisets.
    """
    if a == b:  # a derivable pair: every line matches, no diff to run
        return len(a), [], []
    if diff_cost(a, b) > DIFF_BUDGET:
        return _unmatched_as_multisets(a, b)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    only_a: list[int] = []
    only_b: list[int] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            only_a.extend(range(i1, i2))
            only_b.extend(range(j1, j2))
    return sum(block.size for block in matcher.get_matching_blocks()), only_a, only_b


def diff_cost(a: list[str], b: list[str]) -> int:
    """An upper bound of the steps difflib's matcher takes on `a` and `b`
    (without junk): at most 2 min(n, m) + 1 searches for a longest match,
    each visiting every equal pair of lines and each line at most once."""
    counts = Counter(b)
    equal_pairs = sum(counts[line] for line in a)
    return (2 * min(len(a), len(b)) + 1) * (equal_pairs + len(a) + len(b))


def _unmatched_as_multisets(
    a: list[str], b: list[str]
) -> tuple[int, list[int], list[int]]:
    def unmatched(side: list[str], other: list[str]) -> list[int]:
        left = Counter(other)
        found = []
        for index, line in enumerate(side):
            if left[line] > 0:
                left[line] -= 1
            else:
                found.append(index)
        return found

    only_a = unmatched(a, b)
    return len(a) - len(only_a), only_a, unmatched(b, a)


def _layouts(
    node: cst.FunctionDef,
    renames: dict[str, str],
    unasync: Callable[[str], str] | None,
    applied: set[str],
    identifiers: set[str] | None = None,
    *,
    drop_if_true: bool = False,
) -> tuple[Callable[[], list[str]], list[str]]:
    """The normalised body in ast.unparse's layout, as shown (when asked)
    and with `unasync` applied. Renaming never changes the layout, so the two
    align line by line. Normalising works on Python's ast (a tenth of a
    libcst transform); code this Python cannot parse keeps libcst's lines.
    `identifiers` receives the names the normalised body uses."""
    try:
        tree = ast.parse(cst.Module(body=[node]).code)
    except SyntaxError:
        lines = normalised_lines(node, renames, applied)
        if identifiers is not None:
            identifiers |= _identifiers("\n".join(lines))
        return (lambda: lines), lines
    return _ast_layouts(
        tree.body[0],
        renames,
        unasync,
        applied,
        identifiers,
        drop_if_true=drop_if_true,
    )


def _ast_layouts(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    renames: dict[str, str],
    unasync: Callable[[str], str] | None,
    applied: set[str],
    identifiers: set[str] | None = None,
    *,
    drop_if_true: bool = False,
) -> tuple[Callable[[], list[str]], list[str]]:
    """_layouts on a def of Python's ast (changed in place)."""
    body = function.body
    if body and _is_ast_docstring(body[0]):
        body = body[1:]
    module = ast.Module(body=body, type_ignores=[])
    if drop_if_true:
        module = _DropIfTrue().visit(module)
    walker = _AstNormaliser(renames, applied, unasync)
    if not renames and unasync is None:
        # Without renames normalising only turns async syntax into sync and
        # keeps every name: most sync bodies have none, so skip the rewrite.
        names, holds_async = _names_and_async(module)
        if holds_async:
            module = walker.visit(module)
        if identifiers is not None:
            identifiers |= names
    else:
        module = walker.visit(module)
        if identifiers is not None:  # the names as renamed, before unasync
            walker.revert()
            identifiers |= _identifiers_of(module)
            walker.reapply()
    compared = ast.unparse(module).splitlines()
    if not walker.undo:  # unasync renamed nothing: the same lines
        return (lambda: compared), compared

    def shown() -> list[str]:
        walker.revert()
        lines = ast.unparse(module).splitlines()
        # Renaming cannot change the layout; were it to, keep the pair readable.
        return lines if len(lines) == len(compared) else compared

    return shown, compared


def _is_ast_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _same_place(kind: type, node: ast.AST) -> ast.AST:
    """The sync statement of an async one, fields and position kept."""
    return ast.copy_location(kind(**{f: getattr(node, f) for f in node._fields}), node)


class _DropIfTrue(ast.NodeTransformer):
    """`if True: A else: B` -> `B`: A is code only the async side has."""

    def visit_If(self, node: ast.If) -> ast.AST | list[ast.stmt] | None:
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant) and node.test.value is True:
            return node.orelse or None
        return node


class _AstNormaliser:
    """The async body as unasync's generic rule reads it, in one walk that
    changes the tree in place: no await, no async, the catalogue's renames
    (dotted ones replace the whole chain: asyncio.sleep -> time.sleep), then
    `unasync` on every identifier and string literal holding one. What
    `unasync` changes is recorded, so `revert` gives the lines as shown
    (renamed, not unasync'd) and `reapply` the compared ones again.

    A hand-written walk, not ast.NodeTransformer: comparing twin bodies is
    most of the tree pass on a project of generated twins (httpcore), and
    the generic visitor's dispatch and list rebuilding were most of that."""

    def __init__(
        self,
        renames: dict[str, str],
        applied: set[str],
        unasync: Callable[[str], str] | None,
    ) -> None:
        self.renames = renames
        self.applied = applied
        self.unasync = unasync
        self.undo: list[tuple[ast.AST, str, str, str]] = []

    def revert(self) -> None:
        for node, field, old, _ in reversed(self.undo):
            setattr(node, field, old)

    def reapply(self) -> None:
        for node, field, _, new in self.undo:
            setattr(node, field, new)

    def visit(self, node: ast.AST) -> ast.AST:
        """`node` normalised: itself, changed in place, or what replaces it."""
        method = _NORMALISE.get(type(node))
        if method is not None:
            return method(self, node)
        self._children(node)
        return node

    def _children(self, node: ast.AST) -> None:
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        new = self.visit(item)
                        if new is not item:
                            value[index] = new
            elif isinstance(value, ast.AST):
                new = self.visit(value)
                if new is not value:
                    setattr(node, field, new)

    def _rename(self, name: str) -> str:
        new = self.renames.get(name)
        if new is None or "." in new:
            return name
        self.applied.add(name)
        return new

    def _unasync(self, node: ast.AST, field: str) -> None:
        if self.unasync is None:
            return
        old = getattr(node, field)
        new = ".".join(map(self._map, old.split("."))) if "." in old else self._map(old)
        if new != old:
            self.undo.append((node, field, old, new))
            setattr(node, field, new)

    def _map(self, name: str) -> str:
        new = self.unasync(name)
        if new != name:
            self.applied.add(name)
        return new

    def _name(self, node: ast.AST, field: str) -> None:
        """Rename, then unasync, one identifier field."""
        setattr(node, field, self._rename(getattr(node, field)))
        self._unasync(node, field)

    # One method per node type that changes (_NORMALISE below) ----------
    def _await(self, node: ast.Await) -> ast.AST:
        return self.visit(node.value)

    def _async_for(self, node: ast.AsyncFor) -> ast.AST:
        self._children(node)
        return _same_place(ast.For, node)

    def _async_with(self, node: ast.AsyncWith) -> ast.AST:
        self._children(node)
        return _same_place(ast.With, node)

    def _async_def(self, node: ast.AsyncFunctionDef) -> ast.AST:
        new = _same_place(ast.FunctionDef, node)
        return self._def(new)

    def _def(self, node: ast.FunctionDef) -> ast.AST:
        self._children(node)
        self._name(node, "name")
        return node

    def _comprehension(self, node: ast.comprehension) -> ast.AST:
        self._children(node)
        node.is_async = 0
        return node

    def _variable(self, node: ast.Name) -> ast.AST:
        self._name(node, "id")
        return node

    def _attribute(self, node: ast.Attribute) -> ast.AST:
        dotted = ast_dotted(node)
        if dotted and dotted in self.renames:
            self.applied.add(dotted)
            replaced = ast.parse(self.renames[dotted], mode="eval").body
            # What replaces the chain is not renamed again, only unasync'd.
            renames, self.renames = self.renames, {}
            try:
                return self.visit(replaced)
            finally:
                self.renames = renames
        self._children(node)
        self._name(node, "attr")
        return node

    def _keyword(self, node: ast.keyword) -> ast.AST:
        self._children(node)
        if node.arg:
            self._name(node, "arg")
        return node

    def _arg(self, node: ast.arg) -> ast.AST:
        self._children(node)  # its annotation: `conn: AsyncConnection`
        self._name(node, "arg")
        return node

    def _constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str) and node.value.isidentifier():
            self._unasync(node, "value")
        return node

    def _import_from(self, node: ast.ImportFrom) -> ast.AST:
        # `from pymongo.asynchronous import auth`: the module as the sync
        # twin imports it, each part renamed and unasync'd as a name is.
        self._children(node)
        if node.module:
            node.module = ".".join(map(self._rename, node.module.split(".")))
            self._unasync(node, "module")
        return node

    def _alias(self, node: ast.alias) -> ast.AST:
        # `from django.contrib.auth import aauthenticate` in the async body,
        # renamed as it is used.
        node.name = ".".join(map(self._rename, node.name.split(".")))
        self._unasync(node, "name")
        if node.asname:
            self._name(node, "asname")
        return node


_NORMALISE = {
    ast.Await: _AstNormaliser._await,
    ast.AsyncFor: _AstNormaliser._async_for,
    ast.AsyncWith: _AstNormaliser._async_with,
    ast.AsyncFunctionDef: _AstNormaliser._async_def,
    ast.FunctionDef: _AstNormaliser._def,
    ast.comprehension: _AstNormaliser._comprehension,
    ast.Name: _AstNormaliser._variable,
    ast.Attribute: _AstNormaliser._attribute,
    ast.keyword: _AstNormaliser._keyword,
    ast.arg: _AstNormaliser._arg,
    ast.Constant: _AstNormaliser._constant,
    ast.alias: _AstNormaliser._alias,
    ast.ImportFrom: _AstNormaliser._import_from,
}


def _identifiers(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    return _identifiers_of(tree)


def _identifiers_of(tree: ast.AST) -> set[str]:
    """Names, attributes, keywords, strings and imported names in a tree."""
    return _names_and_async(tree)[0]


ASYNC_SYNTAX = (ast.Await, ast.AsyncFor, ast.AsyncWith, ast.AsyncFunctionDef)


def _names_and_async(tree: ast.AST) -> tuple[set[str], bool]:
    """_identifiers_of, and whether the tree holds async syntax, in one walk."""
    found = set()
    holds_async = False
    for node in ast.walk(tree):
        if isinstance(node, ASYNC_SYNTAX) or (
            isinstance(node, ast.comprehension) and node.is_async
        ):
            holds_async = True
        elif isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.keyword) and node.arg:
            found.add(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
        elif isinstance(node, ast.alias):
            found.update(node.name.split("."))
            if node.asname:
                found.add(node.asname)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.update(node.module.split("."))
    return found, holds_async


def body_hash(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:20]


def normalised_lines(
    node: cst.FunctionDef, renames: dict[str, str], applied: set[str] | None = None
) -> list[str]:
    """The libcst normalisation, for code this Python's ast cannot parse."""
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
