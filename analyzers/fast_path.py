"""The cheap path for files that hold no async code at all.

A file whose bytes contain neither `async`, `await` nor `coroutine` can only
define plain functions: no async def, no await, no sync_to_async/async_to_sync
(their names contain "async"), no markcoroutinefunction. Python's `ast` parses
such a file at about a tenth of libcst's cost and gives the same line numbers;
most of Django is like this. tests/test_fast_path.py checks that both paths
give identical records for these files.
"""

from __future__ import annotations

import ast

from analyzers.names import code_lines, count_loc, is_public
from analyzers.scopes import CAPABILITY_FLAGS, ModuleNames, qualname_of
from analyzers.types import ClassRecord, FileResult, FunctionRecord, Kind

ASYNC_MARKERS = (b"async", b"await", b"coroutine")


def holds_no_async(source: bytes) -> bool:
    return not any(marker in source for marker in ASYNC_MARKERS)


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
    raw_classes: list[tuple[str, int, list[str], dict[str, bool]]] = []

    def visit(body: list[ast.stmt], parents: list[tuple[str, bool]]) -> None:
        for node in body:
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
                    )
                )
                visit(node.body, [*parents, (node.name, True)])
            elif isinstance(node, ast.ClassDef):
                if not parents:
                    names.top_level.add(node.name)
                bases = [name for base in node.bases for name in base_names(base)]
                capability = _capabilities(node.body)
                raw_classes.append(
                    (qualname_of(parents, node.name), node.lineno, bases, capability)
                )
                visit(node.body, [*parents, (node.name, False)])
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
        )
        for qualname, line, bases, capability in raw_classes
    )
    return FileResult(
        path=path,
        module=module,
        loc=sum(flags),
        functions=tuple(functions),
        classes=classes,
        imports=names.import_pairs(),
    )


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
