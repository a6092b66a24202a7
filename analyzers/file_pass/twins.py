"""Pair sync and async functions of one scope by the naming conventions."""

from __future__ import annotations

from dataclasses import dataclass

from analyzers.conventions import Conventions
from analyzers.records import Convention

PROPERTY_ACCESSORS = (".setter", ".getter", ".deleter")


@dataclass(frozen=True)
class Def:
    """What pairing needs to know of one def."""

    name: str
    scope: str  # qualname of the enclosing class or function ("" for the module)
    scope_is_class: bool
    is_async: bool
    public: bool
    decorators: tuple[str, ...]
    overload: bool = False  # a typing.overload stub: never paired


@dataclass(frozen=True)
class Pairing:
    pairs: tuple[
        tuple[int, int, Convention], ...
    ]  # (sync index, async index, convention)
    missing_twins: frozenset[int]  # indices of public sync methods with no twin


def pair_twins(
    defs: list[Def],
    conventions: Conventions,
    aliases: dict[str, list[str]] | None = None,
) -> Pairing:
    """Pair the defs; `aliases` are async names a class binds without a def
    (`atouch = sync_to_async(touch)`): they give their sync twin a twin too."""
    by_scope: dict[str, dict[str, list[int]]] = {}
    for index, item in enumerate(defs):
        if not item.overload:
            by_scope.setdefault(item.scope, {}).setdefault(item.name, []).append(index)

    pairs = []
    twinned: set[int] = set()
    siblings: set[str] = set()  # sync classes whose async sibling has a pair
    for index, item in enumerate(defs):
        if not item.is_async or item.overload:
            continue
        candidates = [
            (item.name, Convention.SAME_NAME),
            *conventions.sync_twin_names(item.name),
        ]
        scopes = [(item.scope, False)]
        if item.scope_is_class:
            scopes += [
                (sibling, True)
                for sibling in conventions.sibling_classes(item.scope)
                if sibling in by_scope
            ]
        sync = None
        for scope, across_siblings in scopes:
            names = by_scope[scope]
            for sync_name, convention in candidates:
                sync = next(
                    (i for i in names.get(sync_name, ()) if not defs[i].is_async),
                    None,
                )
                if sync is not None:
                    if across_siblings:
                        convention = convention.across_sibling_classes()
                    pairs.append((sync, index, convention))
                    twinned.update((sync, index))
                    if across_siblings:
                        siblings.add(scope)
                    break
            if sync is not None:
                break

    aliases = aliases or {}
    aliased = {
        (scope, sync_name)
        for scope, names in aliases.items()
        for name in names
        for sync_name, _ in conventions.sync_twin_names(name)
    }
    async_scopes = {d.scope for d in defs if d.is_async and d.scope_is_class}
    async_scopes |= siblings
    async_scopes |= {scope for scope, names in aliases.items() if names}
    sync_dunders = set(conventions.dunder_twins.values())
    missing = frozenset(
        index
        for index, item in enumerate(defs)
        if item.scope in async_scopes
        and item.scope_is_class
        and not item.is_async
        and item.public
        and index not in twinned
        and not item.overload
        and (item.scope, item.name) not in aliased
        and (not _is_dunder(item.name) or item.name in sync_dunders)
        and not _is_attribute_like(item.decorators, conventions)
    )
    return Pairing(pairs=tuple(pairs), missing_twins=missing)


OVERLOADS = frozenset({"overload", "typing.overload", "typing_extensions.overload"})


def is_overload(decorators: tuple[str, ...]) -> bool:
    """Is a def with these decorators (as written) a `typing.overload` stub?"""
    return any(dec in OVERLOADS for dec in decorators)


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _is_attribute_like(decorators: tuple[str, ...], conventions: Conventions) -> bool:
    ignored = conventions.missing_twin_ignore
    ignored_last = {name.rsplit(".", 1)[-1] for name in ignored}
    return any(
        dec in ignored
        or dec.rsplit(".", 1)[-1] in ignored_last
        or dec.endswith(PROPERTY_ACCESSORS)
        for dec in decorators
    )


def twinned_tests(
    names_by_scope: dict[str, list[tuple[str, bool, str]]], conventions
) -> list[tuple[str, str]]:
    """Async tests that have a sync twin test in the same scope, as (async
    test, sync test) full names; a scope's tests are (name, is_async, full
    name)."""
    prefix = conventions.test_prefix
    found = []
    for tests in names_by_scope.values():
        sync_names = {name: full for name, is_async, full in tests if not is_async}
        for name, is_async, full in tests:
            if not is_async:
                continue
            twin = next(
                (
                    sync_names[candidate]
                    for candidate in _sync_test_names(name, prefix, conventions)
                    if candidate in sync_names
                ),
                None,
            )
            if twin is not None:
                found.append((full, twin))
    return sorted(found)


def _sync_test_names(name: str, prefix: str, conventions: Conventions) -> list[str]:
    candidates = [name]  # same name in both branches of an if
    rest = name[len(prefix) :].lstrip("_")
    head = f"{prefix}_"
    for marker in conventions.test_markers_after_prefix:
        if rest.startswith(marker) and len(rest) > len(marker):
            candidates.append(head + rest[len(marker) :].lstrip("_"))
    for marker in conventions.test_markers_suffix:
        if name.endswith(marker):
            candidates.append(name[: -len(marker)])
    return candidates
