"""The cheap path for files that hold no async code at all.

A file whose bytes contain neither `async`, `await` nor `coroutine` can only
define plain functions: no async def, no await, no sync_to_async/async_to_sync
(their names contain "async"), no markcoroutinefunction. Python's `ast` parses
such a file at about a tenth of libcst's cost and gives the same line numbers;
most of Django is like this. A file that names them only in comments
(`# holds a lock unless in async mode`) is such a file too: a tenth of
httpcore's and psycopg's async-looking bytes are. tests/analyzers/
test_fast_path_equivalence.py checks that both paths give identical records
for these files.
"""

from __future__ import annotations

import ast
import io
import tokenize
from typing import TYPE_CHECKING

from analyzers.file_pass.names import code_lines, count_loc, is_public
from analyzers.file_pass.scopes import (
    CAPABILITY_FLAGS,
    ModuleNames,
    attribute_pairs,
    instance_pairs,
    qualname_of,
)
from analyzers.file_pass.twins import is_overload
from analyzers.file_pass.variants import number_variants
from analyzers.records import ClassRecord, FileResult, FunctionRecord, Kind

if TYPE_CHECKING:
    from analyzers.conventions import Conventions

ASYNC_MARKERS = (b"async", b"await", b"coroutine")


def holds_no_async(source: bytes, conventions: Conventions | None = None) -> bool:
    """No async code, nor a call of a bridge whose name says nothing of
    async (`anyio.from_thread.run`: conventions.bridge_markers), outside
    comments. A marker in a string counts: `getattr(x, "aclose")` is code."""
    markers = ASYNC_MARKERS + (conventions.bridge_markers if conventions else ())
    found = [marker for marker in markers if marker in source]
    return not found or _only_in_comments(source, found)


def _only_in_comments(source: bytes, markers: list[bytes]) -> bool:
    """Whether every occurrence of `markers` is in a comment. Most files
    answer at their first occurrence, with no `#` before it on its line;
    only when each has one does tokenize (a quarter of libcst's parse) tell
    a comment from a `#` in a string."""
    for marker in markers:
        at = source.find(marker)
        while at != -1:
            line_start = source.rfind(b"\n", 0, at) + 1
            if b"#" not in source[line_start:at]:
                return False
            at = source.find(marker, at + len(marker))
    try:
        tokens = list(tokenize.tokenize(io.BytesIO(source).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return False  # let the full path judge (and record) the file
    text_markers = [marker.decode() for marker in markers]
    return not any(
        marker in token.string
        for token in tokens
        if token.type not in (tokenize.COMMENT, tokenize.ENCODING)
        for marker in text_markers
    )


def dotted(node: ast.expr) -> str | None:
    """`a.b.c` -> "a.b.c"; anything else -> None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def base_names(node: ast.expr) -> list[str]:
    """A class base as written; `X.from_queryset(Y)` names both X and Y.

    A base built by a call is a class factory; its receiver and class
    arguments are the best guess at where inherited methods come from.
    """
    if isinstance(node, ast.Call):
        names = [dotted(arg) for arg in node.args]
        if isinstance(node.func, ast.Attribute):
            names.insert(0, dotted(node.func.value))
        return [name for name in names if name]
    name = dotted(node)
    return [name] if name else []


def analyze_sync_module(
    tree: ast.Module, *, text: str, module: str, path: str, package: bool
) -> FileResult:
    names = ModuleNames(module=module, package=package)
    flags = code_lines(text)
    functions: list[FunctionRecord] = []
    raw_classes: list[tuple[str, int, list[str], dict[str, bool], dict]] = []
    module_assigned: dict[str, str] = {}
    # The attributes of the classes being visited, innermost last.
    attrs_stack: list[dict[str, list[tuple[str, str]]]] = []
    callbacks_stack: list[list[str]] = []

    def visit(body: list[ast.stmt], parents: list[tuple[str, bool]]) -> None:
        for node in body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                if not parents:
                    _module_assigned(node, module_assigned)
                elif not parents[-1][1]:
                    _class_attrs(node, attrs_stack[-1])
                    if (
                        isinstance(node, ast.AnnAssign)
                        and isinstance(node.target, ast.Name)
                        and _is_callable(node.annotation)
                    ):
                        callbacks_stack[-1].append(node.target.id)
            if isinstance(node, ast.FunctionDef):
                if not parents:
                    names.top_level.add(node.name)
                qualname = qualname_of(parents, node.name)
                functions.append(
                    FunctionRecord(
                        module=module,
                        qualname=qualname,
                        path=path,
                        first_line=node.lineno,
                        last_line=node.end_lineno or node.lineno,
                        loc=count_loc(flags, node.lineno, node.end_lineno or 0),
                        is_async=False,
                        public=is_public(qualname),
                        kind=Kind.SYNC,
                        overload=is_overload(
                            tuple(filter(None, map(dotted, node.decorator_list)))
                        ),
                    )
                )
                if node.name == "__init__" and parents and not parents[-1][1]:
                    _init_attrs(node, attrs_stack[-1], callbacks_stack[-1])
                visit(node.body, [*parents, (node.name, True)])
            elif isinstance(node, ast.ClassDef):
                if not parents:
                    names.top_level.add(node.name)
                bases = [name for base in node.bases for name in base_names(base)]
                capability = _capabilities(node.body)
                attrs: dict[str, list[tuple[str, str]]] = {}
                callbacks: list[str] = []
                raw_classes.append(
                    (
                        qualname_of(parents, node.name),
                        node.lineno,
                        bases,
                        capability,
                        attrs,
                        callbacks,
                    )
                )
                attrs_stack.append(attrs)
                callbacks_stack.append(callbacks)
                visit(node.body, [*parents, (node.name, False)])
                attrs_stack.pop()
                callbacks_stack.pop()
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    names.add_plain_import(
                        dotted=alias.name, alias=alias.asname, module_level=not parents
                    )
            elif isinstance(node, ast.ImportFrom):
                names.add_import_from(
                    level=node.level,
                    source=node.module or "",
                    names=[(a.name, a.asname or a.name) for a in node.names],
                    module_level=not parents,
                )
            else:
                # Compound statements (if/try/with/for/while/match) hold defs too.
                for child in _child_bodies(node):
                    visit(child, parents)

    visit(tree.body, [])
    classes = tuple(
        ClassRecord(
            module=module,
            qualname=qualname,
            path=path,
            line=line,
            bases=tuple(names.resolve(base) for base in bases),
            async_capable=capability.get("async_capable", False),
            sync_capable=capability.get("sync_capable", False),
            attributes=attribute_pairs(names, attrs),
            callbacks=tuple(dict.fromkeys(callbacks)),
        )
        for qualname, line, bases, capability, attrs, callbacks in raw_classes
    )
    return FileResult(
        path=path,
        module=module,
        loc=sum(flags),
        functions=tuple(number_variants(functions)),
        classes=classes,
        imports=names.import_pairs(),
        instances=instance_pairs(names, module_assigned),
    )


# Bound values, as cst_walk records them (the two must agree; see
# tests/analyzers/test_fast_path_equivalence.py).
def value_form(value: ast.expr) -> tuple[str, str] | None:
    if isinstance(value, ast.Call):
        name = dotted(value.func)
        return ("call", name) if name else None
    if isinstance(value, ast.Subscript):
        name = dotted(value.value)
        return ("item", name) if name else None
    name = dotted(value)
    return ("name", name) if name else None


def annotation_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant):
        text = node.value
        ok = isinstance(text, str) and all(p.isidentifier() for p in text.split("."))
        return text if ok else None
    return dotted(node)


def _assignment(node: ast.Assign | ast.AnnAssign):
    """(targets, forms in the order libcst's walk records them)."""
    if isinstance(node, ast.Assign):
        form = value_form(node.value)
        return node.targets, [form] if form else []
    forms = []
    if (annotation := annotation_name(node.annotation)) is not None:
        forms.append(("ann", annotation))
    if node.value is not None and (form := value_form(node.value)):
        forms.append(form)
    return [node.target], forms


def _is_callable(node: ast.expr) -> bool:
    """As cst_walk._is_callable."""
    if isinstance(node, ast.Subscript):
        node = node.value
    name = dotted(node)
    return bool(name) and name.rsplit(".", 1)[-1] == "Callable"


def _module_assigned(node: ast.Assign | ast.AnnAssign, table: dict) -> None:
    if isinstance(node, ast.AnnAssign) and node.value is None:
        return
    value = node.value
    if isinstance(value, ast.Call) and (callee := dotted(value.func)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                table[target.id] = callee


def _class_attrs(node: ast.Assign | ast.AnnAssign, attrs: dict) -> None:
    targets, forms = _assignment(node)
    for form in forms:
        for target in targets:
            if isinstance(target, ast.Name):
                attrs.setdefault(target.id, []).append(form)


def _init_attrs(init: ast.FunctionDef, attrs: dict, callbacks: list[str]) -> None:
    """`self.x = ...` in __init__ (not in its nested defs), in source order;
    `callbacks` gets those set from an unannotated parameter."""
    args = init.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    names = {arg.arg for arg in every if arg is not None}
    params = {
        arg.arg: name
        for arg in (*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs)
        if arg.annotation is not None
        and (name := annotation_name(arg.annotation)) is not None
    }

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets, forms = _assignment(node)
                for form in forms:
                    for target in targets:
                        if (
                            isinstance(target, ast.Attribute)
                            and isinstance(target.value, ast.Name)
                            and target.value.id == "self"
                        ):
                            if form[0] == "name" and form[1] in params:
                                form = ("ann", params[form[1]])
                            elif form[0] == "name" and form[1] in names:
                                callbacks.append(target.attr)
                            attrs.setdefault(target.attr, []).append(form)
            elif not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                for child in _child_bodies(node):
                    walk(child)

    walk(init.body)


def _capabilities(body: list[ast.stmt]) -> dict[str, bool]:
    found = {}
    for node in body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in CAPABILITY_FLAGS:
                    found[target.id] = node.value.value is True
    return found


def _child_bodies(node: ast.stmt) -> list[list[ast.stmt]]:
    """Nested statement lists in source order (try: body, handlers, else, finally)."""
    bodies = [getattr(node, "body", None)]
    bodies += [handler.body for handler in getattr(node, "handlers", ())]
    bodies += [case.body for case in getattr(node, "cases", ())]
    bodies += [getattr(node, "orelse", None), getattr(node, "finalbody", None)]
    return [body for body in bodies if isinstance(body, list)]
