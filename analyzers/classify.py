"""Turn what the libcst walk saw of one def into the facts of its record."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from analyzers.conventions import Conventions
from analyzers.cst_path import Collector, DefInfo
from analyzers.names import cst_dotted
from analyzers.scopes import first_token, head_token
from analyzers.types import AwaitSite, Kind, SiteKind


@dataclass(frozen=True)
class DefFacts:
    kind: Kind
    runs_in_thread: bool
    sites: tuple[AwaitSite, ...]
    thread_hops: int
    hop_labels: tuple[str, ...]
    bridges: int
    concurrency_sites: int
    local_calls: frozenset[str]  # bare names it calls: for concurrency helpers
    # Bare names passed to async_to_sync, a call site each: `async_to_sync(asend)`.
    bridged: tuple[str, ...] = ()


class DefClassifier:
    """Classifies the defs of one module, resolving names against all of it."""

    def __init__(self, collector: Collector, conventions: Conventions) -> None:
        self.collector = collector
        self.names = collector.names
        self.conventions = conventions

    def resolved(self, dotted: str | None) -> str:
        return self.names.resolve(dotted) if dotted else ""

    def is_sync_to_async(self, dotted: str | None) -> bool:
        return bool(dotted) and self.conventions.is_sync_to_async(self.resolved(dotted))

    def is_async_to_sync(self, dotted: str | None) -> bool:
        return bool(dotted) and self.conventions.is_async_to_sync(self.resolved(dotted))

    def is_product(self, assigned: dict[str, str], name: str) -> bool:
        """Is `name` bound to `sync_to_async(...)` in this scope's assignments?"""
        return name in assigned and self.is_sync_to_async(assigned[name])

    def products(self, assigned: dict[str, str]) -> list[str]:
        return [name for name in assigned if self.is_product(assigned, name)]

    def facts(self, info: DefInfo) -> DefFacts:
        runs_in_thread = any(self.is_sync_to_async(dec) for dec in info.decorators)
        hop_labels, bridges, concurrency, local_calls = [], 0, 0, set()
        bridged = []
        for call in info.calls:
            if self.is_sync_to_async(call.dotted):
                hop_labels.append(hop_label(call.node))
            elif self.is_async_to_sync(call.dotted):
                bridges += 1
                target = call.node.args[0].value if call.node.args else None
                if isinstance(target, cst.Name):
                    bridged.append(target.value)
            if self._is_concurrency(call.dotted):
                concurrency += 1
            if call.dotted and "." not in call.dotted:
                local_calls.add(call.dotted)
        # A nested @sync_to_async def is a hop of the def that defines it.
        for nested in info.nested.values():
            for child in nested:
                if any(self.is_sync_to_async(dec) for dec in child.decorators):
                    hop_labels.append(f"sync_to_async({child.name})")
        sites = tuple(self.site(expr, info) for expr in info.awaited)
        return DefFacts(
            kind=self._kind(info, sites, bridges),
            runs_in_thread=runs_in_thread,
            sites=sites,
            thread_hops=len(hop_labels),
            hop_labels=tuple(hop_labels),
            bridges=bridges,
            concurrency_sites=concurrency,
            local_calls=frozenset(local_calls),
            bridged=tuple(bridged),
        )

    def _is_concurrency(self, dotted: str | None) -> bool:
        if not dotted:
            return False
        if self.conventions.is_concurrency(self.resolved(dotted)):
            return True
        head, _, method = dotted.rpartition(".")
        return bool(head) and method in self.conventions.concurrency_methods

    def _kind(self, info: DefInfo, sites: tuple[AwaitSite, ...], bridges: int) -> Kind:
        if info.is_async:
            if sites and all(site.kind is SiteKind.HOP for site in sites):
                return Kind.ASYNC_WRAPPER
            return Kind.ASYNC_NATIVE
        if bridges and self._result_is_bridged(info.node):
            return Kind.SYNC_WRAPPER
        return Kind.SYNC

    def _result_is_bridged(self, node: cst.FunctionDef) -> bool:
        """Its work goes through async_to_sync: what it ends with is bridged.

        `return async_to_sync(self.aget)(key)`, a lone bridged call, or a
        name assigned a bridged value and returned is a wrapper; Signal.send,
        which bridges only its async receivers and returns what its own loop
        built, is not.
        """
        statements = _statements(node)
        if not isinstance(statements[-1], cst.SimpleStatementLine):
            return False
        small = [
            part
            for statement in statements
            if isinstance(statement, cst.SimpleStatementLine)
            for part in statement.body
        ]
        if not small or not isinstance(small[-1], (cst.Return, cst.Expr)):
            return False
        value = small[-1].value
        if isinstance(value, cst.Name):
            assigned = [
                part.value
                for part in small[:-1]
                if isinstance(part, cst.Assign)
                and any(
                    isinstance(t.target, cst.Name) and t.target.value == value.value
                    for t in part.targets
                )
            ]
            value = assigned[-1] if assigned else value
        return value is not None and self._contains_bridge(value)

    def _contains_bridge(self, node: cst.CSTNode) -> bool:
        finder = _CallFinder()
        node.visit(finder)
        return any(self.is_async_to_sync(name) for name in finder.names)

    # Await sites ------------------------------------------------------
    def site(self, expr: cst.BaseExpression, info: DefInfo) -> AwaitSite:
        module = self.names.module
        if not isinstance(expr, cst.Call):
            return AwaitSite(SiteKind.OPAQUE, cst_dotted(expr) or "")
        func = expr.func
        if isinstance(func, cst.Call) and self.is_sync_to_async(cst_dotted(func.func)):
            return AwaitSite(SiteKind.HOP, hop_label(func))
        if isinstance(func, cst.Name):
            return self._name_site(func.value, info)
        if isinstance(func, cst.Attribute):
            attr = func.attr.value
            value = func.value
            owner = info.owner
            if isinstance(value, cst.Name) and value.value in ("self", "cls") and owner:
                if self.is_product(owner.assigned, attr):
                    return AwaitSite(SiteKind.HOP, f"sync_to_async({attr})")
                return AwaitSite(SiteKind.SELF, attr, (f"{module}.{owner.qualname}",))
            if _is_super_call(value) and owner:
                return AwaitSite(SiteKind.SUPER, attr, (f"{module}.{owner.qualname}",))
            dotted = cst_dotted(func)
            if dotted and self.names.is_bound(dotted.split(".", 1)[0]):
                return AwaitSite(SiteKind.NAME, attr, (self.names.resolve(dotted),))
            return AwaitSite(SiteKind.ATTR, attr, receiver=self.receiver(value, info))
        return AwaitSite(SiteKind.OPAQUE, "")

    # Receivers --------------------------------------------------------
    def receiver(self, node: cst.BaseExpression, info: DefInfo) -> tuple[str, ...]:
        """What `obj` in `obj.m()` is, as the code writes it: a head the
        evidence of this module types, then the attributes and method calls
        after it (`self.model.objects.filter(...)` -> self, model, objects,
        filter()). The tree pass types the rest (analyzers/receivers.py)."""
        parts = []
        while True:
            if isinstance(node, cst.Attribute):
                parts.append(node.attr.value)
                node = node.value
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                parts.append(node.func.attr.value + "()")
                node = node.func.value
            else:
                break
        head = self._head(node, info)
        return (head, *reversed(parts)) if head else ()

    def _head(self, node: cst.BaseExpression, info: DefInfo) -> str | None:
        if isinstance(node, cst.Name):
            name = node.value
            if name in ("self", "cls") and info.owner is not None:
                return f"self:{self.names.module}.{info.owner.qualname}"
            return self._local_head(name, info)
        dotted = None
        if isinstance(node, cst.Call):
            dotted, form = cst_dotted(node.func), "call"
        elif isinstance(node, cst.Subscript):
            dotted, form = cst_dotted(node.value), "item"
        return head_token(self.names, form, dotted) if dotted else None

    def _local_head(self, name: str, info: DefInfo) -> str:
        """A bare name: an isinstance guard, a local binding, an annotated
        parameter (innermost def first), a module-level binding, an import;
        else the name as written, for the naming conventions."""
        scope: DefInfo | None = info
        while scope is not None:
            if name in scope.guards:
                token = head_token(self.names, "ann", scope.guards[name])
                if token:
                    return token
            if name in scope.bindings:
                token = first_token(self.names, scope.bindings[name])
                if token:
                    return token
            if name in scope.params:
                token = head_token(self.names, "ann", scope.params[name])
                if token:
                    return token
            scope = scope.parent
        if name in self.collector.module_bindings:
            token = first_token(self.names, self.collector.module_bindings[name])
            if token:
                return token
        return head_token(self.names, "name", name) or f"var:{name}"

    def _name_site(self, name: str, info: DefInfo) -> AwaitSite:
        scope: DefInfo | None = info
        while scope is not None:
            if self.is_product(scope.assigned, name):
                return AwaitSite(SiteKind.HOP, f"sync_to_async({name})")
            if name in scope.nested:
                return self._defs_site(name, scope.nested[name])
            scope = scope.parent
        if self.is_product(self.collector.module_assigned, name):
            return AwaitSite(SiteKind.HOP, f"sync_to_async({name})")
        if name in self.collector.module_defs:
            return self._defs_site(name, self.collector.module_defs[name])
        if self.names.is_bound(name):
            return AwaitSite(SiteKind.NAME, name, (self.names.resolve(name),))
        return AwaitSite(SiteKind.OPAQUE, name)

    def _defs_site(self, name: str, defs: list[DefInfo]) -> AwaitSite:
        if all(any(self.is_sync_to_async(d) for d in item.decorators) for item in defs):
            return AwaitSite(SiteKind.HOP, f"sync_to_async({name})")
        targets = tuple(
            dict.fromkeys(f"{self.names.module}.{d.qualname}" for d in defs)
        )
        return AwaitSite(SiteKind.NAME, name, targets)


def _statements(node: cst.FunctionDef) -> list[cst.BaseStatement]:
    body = node.body
    if isinstance(body, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=body.body)]
    return list(body.body)


def hop_label(call: cst.Call) -> str:
    """`sync_to_async(self.get, ...)` -> "sync_to_async(get)"."""
    target = call.args[0].value if call.args else None
    if isinstance(target, cst.Attribute):
        label = target.attr.value
    elif isinstance(target, cst.Name):
        label = target.value
    elif isinstance(target, cst.Lambda):
        label = "<lambda>"
    else:
        label = "..."
    return f"sync_to_async({label})"


def _is_super_call(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "super"
    )


class _CallFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: list[str] = []

    def visit_Call(self, node: cst.Call) -> None:
        name = cst_dotted(node.func)
        if name:
            self.names.append(name)
