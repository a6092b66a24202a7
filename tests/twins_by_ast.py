"""Twins across twin modules as Python's `ast` sees them, apart from the
analyzer: the oracle of the real-data tests of projects not named in issue 15.

An async def has a twin when the twin module has a sync def at the same place:
its classes `AsyncX`/`_AsyncX` read as `X`/`_X`, or `SyncX`, or as written, and an
enclosing dunder as the sync one, its name the
same, without an `a`/`async_` prefix or an `_async` suffix, or the sync
dunder. `typing.overload` stubs are left out on both sides.
"""

import ast
from pathlib import Path

DUNDERS = {
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "__acall__": "__call__",
}


def defs(path: Path) -> dict[str, bool]:
    """Qualname -> is it async, for every def of a file (the first of a name)."""
    found: dict[str, bool] = {}

    def visit(body, scope):
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, [*scope, node.name])
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not any(
                    getattr(d, "id", getattr(d, "attr", "")) == "overload"
                    for d in node.decorator_list
                ):
                    qualname = ".".join([*scope, node.name])
                    found.setdefault(qualname, isinstance(node, ast.AsyncFunctionDef))
                visit(node.body, [*scope, node.name, "<locals>"])
            else:  # defs under `if`/`try` at any level
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(node, field, None) or [], scope)

    visit(ast.parse(path.read_bytes()).body, [])
    return found


def async_defs(path: Path) -> list[str]:
    return [qualname for qualname, is_async in defs(path).items() if is_async]


def twins(async_path: Path, sync_path: Path) -> dict[str, str]:
    """{async qualname: sync qualname} for the async defs with a twin."""
    sync = {q for q, is_async in defs(sync_path).items() if not is_async}
    found: dict[str, str] = {}
    for qualname in async_defs(async_path):
        scope, _, name = qualname.rpartition(".")
        plain = ".".join(_plain_class(part) for part in scope.split("."))
        marked = ".".join(_marked_class(part) for part in scope.split("."))
        for where in dict.fromkeys((plain, marked, scope)):
            hit = next(
                (
                    f"{where}.{sync_name}" if where else sync_name
                    for sync_name in _sync_names(name)
                    if (f"{where}.{sync_name}" if where else sync_name) in sync
                    and (f"{where}.{sync_name}" if where else sync_name)
                    not in found.values()
                ),
                None,
            )
            if hit:
                found[qualname] = hit
                break
    return found


def modules_by(tree: Path, package: str, sync_path_of) -> list[tuple[Path, Path]]:
    """(async file, sync file) for each module of the package whose sync
    twin, `sync_path_of(parts of its path)` (a tuple of parts, or None),
    exists."""
    found = []
    for path in sorted((tree / package).rglob("*.py")):
        sync = sync_path_of(path.relative_to(tree).parts)
        if sync is not None and tree.joinpath(*sync).exists():
            found.append((path, tree.joinpath(*sync)))
    return found


def twin_modules(tree: Path, package: str, async_dir: str, sync_dir: str):
    """(async file, sync file) for each module under a folder `async_dir` of
    the package whose twin, the same path under `sync_dir`, exists."""
    found = []
    for path in sorted((tree / package).rglob("*.py")):
        parts = path.relative_to(tree).parts
        if async_dir not in parts[:-1]:
            continue
        at = parts.index(async_dir)
        sync = tree.joinpath(
            *parts[:at], *([sync_dir] if sync_dir else []), *parts[at + 1 :]
        )
        if sync.exists():
            found.append((path, sync))
    return found


def expected_pairs(tree: Path, modules) -> dict[str, str]:
    """Full name of each async def with a twin -> its twin's full name."""
    return {
        f"{module_name(tree, a)}.{async_q}": f"{module_name(tree, s)}.{sync_q}"
        for a, s in modules
        for async_q, sync_q in twins(a, s).items()
    }


def module_name(tree: Path, path: Path) -> str:
    parts = path.relative_to(tree).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _plain_class(part: str) -> str:
    """A part of a scope as the sync module spells it: a class `AsyncX` is
    `X`, `FooAsyncClient` is `FooClient`, an enclosing `__aiter__` is
    `__iter__`."""
    if part in DUNDERS:
        return DUNDERS[part]
    if (plain := _async_prefix_as(part, "")) != part:
        return plain
    for marker in ("AsyncIO", "Async", "AIO"):
        head, found, tail = part.partition(marker)
        if found and head.strip("_") and tail[:1].isupper():
            return head + tail
    return part


def _marked_class(part: str) -> str:
    """A class `AsyncX` as `SyncX` (supabase's clients)."""
    return _async_prefix_as(part, "Sync")


def _async_prefix_as(part: str, prefix: str) -> str:
    """`AsyncX` (`_AsyncX`) with `prefix` for its `Async`; else `part`."""
    stem = part.lstrip("_")
    if stem.startswith("Async") and stem[5:6].isupper():
        return part[: len(part) - len(stem)] + prefix + stem[5:]
    return part


def _sync_names(name: str) -> list[str]:
    if name in DUNDERS:
        return [DUNDERS[name]]
    stem = name.lstrip("_")
    underscores = name[: len(name) - len(stem)]
    names = [name]
    for prefix in ("async_", "a"):
        if stem.startswith(prefix) and len(stem) > len(prefix):
            names.append(underscores + stem[len(prefix) :])
    if stem.endswith("_async") and len(stem) > 6:
        names.append(underscores + stem[:-6])
    return names
