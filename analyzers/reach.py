"""Where each async function's awaited work really ends: `reaches`, hops, chain.

Awaited calls are resolved best-effort across the tree: `self.m` through the
class, its bases and its subclasses' overrides; `super().m` through the bases;
names through the module and its imports (following re-exports); `obj.m` on
an object of unknown type by every async function of that name, which must
agree. The result is solved as a least fixed point in two strata, so cycles
terminate:

1. thread: a function hops itself, or an awaited call resolves to a function
   that reaches a thread (for `obj.m`: all candidates do); see `_thread`;
2. async: it runs awaitables concurrently, or an awaited call resolves to a
   function that reaches async code, or it awaits what it cannot see into and
   does not hop for its own work (MiddlewareMixin.__acall__ hops and passes
   through to `get_response`: it reaches a thread).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass

from analyzers.types import (
    ClassRecord,
    FileResult,
    FunctionRecord,
    Reach,
    SiteKind,
)

MAX_ALIAS_DEPTH = 10


@dataclass(frozen=True)
class Site:
    candidates: tuple[int, ...]  # indices into the awaitable functions
    by_name: bool  # resolved by name only: all candidates must agree
    product: str = ""  # resolved to a name bound to sync_to_async(...): a hop

    @property
    def opaque(self) -> bool:
        return not self.candidates and not self.product


class SymbolIndex:
    """Functions, classes and imports of a whole tree, for name resolution."""

    def __init__(self, files: list[FileResult]) -> None:
        self.functions: dict[str, list[FunctionRecord]] = {}
        self.classes: dict[str, ClassRecord] = {}
        self.methods: dict[tuple[str, str], list[FunctionRecord]] = {}
        self.imports: dict[str, dict[str, str]] = {}
        self.roots: set[str] = set()
        for result in files:
            self.imports[result.module] = dict(result.imports)
            self.roots.add(result.module.split(".", 1)[0])
            for cls in result.classes:
                self.classes[cls.full_name] = cls
            for record in result.functions:
                self.functions.setdefault(record.full_name, []).append(record)
                owner, _, name = record.full_name.rpartition(".")
                self.methods.setdefault((owner, name), []).append(record)
        self.products = {name for result in files for name in result.thread_products}
        self.subclasses: dict[str, list[str]] = {}
        for cls in self.classes.values():
            for base in self.base_classes(cls):
                self.subclasses.setdefault(base, []).append(cls.full_name)

    def canonical(self, dotted: str, depth: int = 0) -> str:
        """Follow re-exports: `django.db.models.Manager` -> where it is defined."""
        if (
            dotted in self.functions
            or dotted in self.classes
            or depth > MAX_ALIAS_DEPTH
        ):
            return dotted
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in self.imports:
                target = self.imports[module].get(parts[cut])
                if target is None or target == ".".join(parts[: cut + 1]):
                    return dotted
                return self.canonical(".".join([target, *parts[cut + 1 :]]), depth + 1)
        return dotted

    def base_classes(self, cls: ClassRecord) -> list[str]:
        found = []
        for base in cls.bases:
            name = self.canonical(base)
            if name in self.classes and name != cls.full_name:
                found.append(name)
        return found

    def mro(self, class_name: str) -> list[str]:
        """The class then its bases, breadth first (close enough to C3 here)."""
        order, queue = [], deque([class_name])
        while queue:
            name = queue.popleft()
            if name in order or name not in self.classes:
                continue
            order.append(name)
            queue.extend(self.base_classes(self.classes[name]))
        return order

    def descendants(self, class_name: str) -> list[str]:
        seen, stack = [], list(self.subclasses.get(class_name, ()))
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.append(name)
                stack.extend(self.subclasses.get(name, ()))
        return seen

    def owner_class(self, record: FunctionRecord) -> str | None:
        """The class whose `self` a method (or a closure inside it) sees."""
        outer = record.qualname.split(".<locals>.", 1)[0]
        owner = f"{record.module}.{outer.rpartition('.')[0]}"
        return owner if owner in self.classes else None

    def family(self, class_name: str) -> set[str]:
        """The class, its bases, and every subclass of any of them."""
        mro = self.mro(class_name)
        return {*mro, *(sub for cls in mro for sub in self.descendants(cls))}

    def in_tree(self, dotted: str) -> bool:
        return dotted.split(".", 1)[0] in self.roots


def awaitable(record: FunctionRecord) -> bool:
    return record.is_async or record.runs_in_thread


class ReachSolver:
    def __init__(self, index: SymbolIndex, functions: list[FunctionRecord]) -> None:
        self.index = index
        self.nodes = [f for f in functions if awaitable(f)]
        self.position = {id(f): i for i, f in enumerate(self.nodes)}
        self.by_name: dict[str, list[int]] = {}
        for i, record in enumerate(self.nodes):
            name = record.qualname.rsplit(".", 1)[-1]
            self.by_name.setdefault(name, []).append(i)
        self.sites = [self._sites(record) for record in self.nodes]

    # Resolution ---------------------------------------------------------
    def _ids(self, records) -> tuple[int, ...]:
        return tuple(self.position[id(r)] for r in records if id(r) in self.position)

    def _by_name(self, name: str) -> Site:
        return Site(tuple(self.by_name.get(name, ())), by_name=True)

    def _other_objects(self, record: FunctionRecord, name: str) -> Site:
        """`obj.m` where obj is not self: by name, outside the caller's family.

        An object the caller reaches through an attribute (`self._cache`,
        `self.model.objects`) is rarely of the caller's own class family, and
        counting the family in would make every such call disagree with
        itself (a session store's `aexists` awaits a QuerySet's `aexists`).
        """
        owner = self.index.owner_class(record)
        if owner is None:
            return self._by_name(name)
        family = self.index.family(owner)
        candidates = tuple(
            c
            for c in self.by_name.get(name, ())
            if self.index.owner_class(self.nodes[c]) not in family
        )
        return Site(candidates, by_name=True)

    def _method(self, class_name: str, name: str, *, include_self: bool) -> Site:
        mro = self.index.mro(class_name)
        if not mro:
            return self._by_name(name)
        found = []
        for cls in mro if include_self else mro[1:]:
            if f"{cls}.{name}" in self.index.products:
                return Site((), by_name=False, product=name)
            if (cls, name) in self.index.methods:
                found = self.index.methods[(cls, name)]
                break
        if include_self:
            for sub in self.index.descendants(class_name):
                found = [*found, *self.index.methods.get((sub, name), ())]
        if not found:
            # The method comes from somewhere the index cannot see (a base built
            # at run time, an instance attribute): fall back to the name.
            return self._by_name(name)
        return Site(self._ids(found), by_name=False)

    def _name(self, target: str, name: str) -> Site:
        dotted = self.index.canonical(target)
        if dotted in self.index.products:
            return Site((), by_name=False, product=name)
        if dotted in self.index.functions:
            return Site(self._ids(self.index.functions[dotted]), by_name=False)
        owner, _, method = dotted.rpartition(".")
        owner = self.index.canonical(owner)
        if owner in self.index.classes:
            return self._method(owner, method, include_self=True)
        if dotted in self.index.classes or not self.index.in_tree(dotted):
            return Site((), by_name=False)  # a class, or code outside the tree
        return self._by_name(name)  # an attribute of a module-level object

    def _sites(self, record: FunctionRecord) -> list[Site]:
        sites = []
        for site in record.await_sites:
            if site.kind is SiteKind.HOP:
                continue
            if site.kind is SiteKind.SELF:
                sites.append(
                    self._method(site.targets[0], site.name, include_self=True)
                )
            elif site.kind is SiteKind.SUPER:
                sites.append(
                    self._method(site.targets[0], site.name, include_self=False)
                )
            elif site.kind is SiteKind.NAME:
                resolved = [self._name(target, site.name) for target in site.targets]
                candidates = (c for r in resolved for c in r.candidates)
                sites.append(
                    Site(
                        tuple(dict.fromkeys(candidates)),
                        by_name=any(r.by_name for r in resolved),
                        product=next((r.product for r in resolved if r.product), ""),
                    )
                )
            elif site.kind is SiteKind.ATTR:
                sites.append(self._other_objects(record, site.name))
            else:
                sites.append(Site((), by_name=False))
        return sites

    # Solving ------------------------------------------------------------
    def own_hop(self, i: int) -> bool:
        return bool(self._hop_label(i))

    def _hop_label(self, i: int) -> str:
        """How the function itself hops, as the last link of a chain."""
        record = self.nodes[i]
        for site in record.await_sites:
            if site.kind is SiteKind.HOP:
                return site.name
        for site in self.sites[i]:
            if site.product:
                return f"sync_to_async({site.product})"
        if record.runs_in_thread:
            return f"sync_to_async({record.qualname.rsplit('.', 1)[-1]})"
        return ""

    def solve(self) -> list[FunctionRecord]:
        n = len(self.nodes)
        thread = self._thread()
        opaque_seed = [
            self.nodes[i].concurrent
            or (
                not thread[i]
                and any(self._unseen(site, thread) for site in self.sites[i])
            )
            for i in range(n)
        ]
        asynchronous = self._least_fixed_point(opaque_seed)
        edges = [self._edges(i, thread) for i in range(n)]
        solved = []
        for i, record in enumerate(self.nodes):
            reach = (
                Reach.ASYNC
                if asynchronous[i]
                else Reach.THREAD
                if thread[i]
                else Reach.LOOP
            )
            hops, chain = self._hops(i, edges)
            solved.append(
                dataclasses.replace(record, reaches=reach, hops=hops, chain=chain)
            )
        return solved

    @staticmethod
    def _site_reaches(site: Site, values: list[bool]) -> bool:
        if site.by_name:
            return bool(site.candidates) and all(values[c] for c in site.candidates)
        return any(values[c] for c in site.candidates)

    @staticmethod
    def _unseen(site: Site, thread: list[bool]) -> bool:
        if site.opaque:
            return True
        # Same-named functions that disagree: the analyzer cannot tell which.
        return site.by_name and len({thread[c] for c in site.candidates}) > 1

    def _thread(self) -> list[bool]:
        """Which functions reach only a thread.

        Only a function from which some chain leads to a hop can (least fixed
        point); among those, a greatest fixed point drops every function none
        of whose awaited calls reaches a thread. Greatest, because same-named
        candidates form cycles (SessionBase.aget is itself one of the `aget`s
        that a session store's `self._cache.aget` may be) that must not
        disagree with themselves.
        """
        n = len(self.nodes)
        can_hop = self._least_fixed_point(
            [self.own_hop(i) for i in range(n)], any_candidate=True
        )
        values = list(can_hop)
        changed = True
        while changed:
            changed = False
            for i in range(n):
                if (
                    values[i]
                    and not self.own_hop(i)
                    and not any(
                        self._site_reaches(site, values) for site in self.sites[i]
                    )
                ):
                    values[i], changed = False, True
        return values

    def _least_fixed_point(
        self, seed: list[bool], *, any_candidate: bool = False
    ) -> list[bool]:
        values = list(seed)
        changed = True
        while changed:
            changed = False
            for i in range(len(values)):
                if not values[i] and any(
                    any(values[c] for c in site.candidates)
                    if any_candidate
                    else self._site_reaches(site, values)
                    for site in self.sites[i]
                ):
                    values[i] = changed = True
        return values

    def _edges(self, i: int, thread: list[bool]) -> list[int]:
        """Callees along which a chain can reach a hop."""
        out = []
        for site in self.sites[i]:
            if site.by_name and not self._site_reaches(site, thread):
                continue
            out.extend(c for c in site.candidates if thread[c])
        return list(dict.fromkeys(out))

    def _hops(self, start: int, edges: list[list[int]]):
        """All hop functions reachable, and the shortest chain to one of them."""
        parent = {start: None}
        queue = deque([start])
        hops, nearest = [], None
        while queue:
            i = queue.popleft()
            if self.own_hop(i):
                hops.append(self.nodes[i].full_name)
                if nearest is None:
                    nearest = i
            for j in edges[i]:
                if j not in parent:
                    parent[j] = i
                    queue.append(j)
        if nearest is None:
            return tuple(hops), ()
        chain, i = [], nearest
        while i is not None:
            chain.append(self.nodes[i].qualname)
            i = parent[i]
        chain.reverse()
        return tuple(sorted(hops)), (*chain, self._hop_label(nearest))


def solve_reach(files: list[FileResult], functions: list[FunctionRecord]):
    """`functions` with reaches, hops and chain filled in for awaitable ones."""
    index = SymbolIndex(files)
    solver = ReachSolver(index, functions)
    solved = {
        id(old): new for old, new in zip(solver.nodes, solver.solve(), strict=True)
    }
    return [solved.get(id(f), f) for f in functions]
