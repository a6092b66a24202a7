"""Turn what the libcst walk saw of one def into the facts of its record."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import libcst as cst

from analyzers.conventions import Conventions
from analyzers.file_pass.cst_visit import walk
from analyzers.file_pass.cst_walk import Collector, DefInfo, Use
from analyzers.file_pass.names import cst_dotted
from analyzers.file_pass.scopes import first_token, head_token
from analyzers.records import AwaitSite, Kind, SiteKind


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
    waits_on_loop: bool = False  # awaits what only waits on the loop (a sleep)


class DefClassifier:
    """Classifies the defs of one module, resolving names against all of it."""

    def __init__(self, collector: Collector, conventions: Conventions) -> None:
        self.collector = collector
        self.names = collector.names
        self.conventions = conventions
        self._returning = {
            id(expr): info for info in collector.defs for expr in info.returns
        }

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
                if isinstance(target, cst.Call):  # asyncio.run(main())
                    target = target.func
                if isinstance(target, cst.Name):
                    bridged.append(target.value)
            elif info.is_async and (hop := self.thread_call(call.node)) is not None:
                hop_labels.append(hop[0])
            if self._is_concurrency(call.dotted):
                concurrency += 1
            if call.dotted and "." not in call.dotted:
                local_calls.add(call.dotted)
        # A nested @sync_to_async def is a hop of the def that defines it.
        for nested in info.nested.values():
            for child in nested:
                if any(self.is_sync_to_async(dec) for dec in child.decorators):
                    hop_labels.append(f"sync_to_async({child.name})")
        sites = tuple(self._sites(info))
        # What it awaits on the loop alone (asyncio.sleep) leaves no site,
        # but it is work of its own: no async face over its twin.
        waits_on_loop = any(
            self.site(awaited.expression, info, awaited.use) is None
            for awaited in info.awaited
        )
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
            waits_on_loop=waits_on_loop,
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
        walk(node, finder)
        return any(self.is_async_to_sync(name) for name in finder.names)

    # Await sites ------------------------------------------------------
    def _sites(self, info: DefInfo):
        """Its await sites in source order: awaits, `async for`, `async with`,
        then the awaitables it hands to gather, create_task or wait_for."""
        for awaited in info.awaited:
            site = self.site(awaited.expression, info, awaited.use)
            if site is not None:
                yield dataclasses.replace(site, conditional=awaited.conditional)
        for call in info.calls if info.is_async else ():
            if self._runs_arguments(call.dotted):
                for node, optional in _argument_calls(call.node, info):
                    site = self.site(node, info, Use.AWAIT)
                    if site is not None:
                        conditional = call.conditional or optional
                        yield dataclasses.replace(site, conditional=conditional)

    def _runs_arguments(self, dotted: str | None) -> bool:
        return bool(dotted) and (
            self.conventions.runs_arguments(self.resolved(dotted))
            or self._is_concurrency(dotted)
        )

    def site(
        self, expr: cst.BaseExpression, info: DefInfo, use: Use = Use.AWAIT
    ) -> AwaitSite | None:
        """What one awaited expression runs; None for what needs no following
        (a loop-only wait, gather itself: its arguments are the sites)."""
        if use is not Use.AWAIT:
            # `async for x in obj` / `async with obj`: obj's protocol methods.
            if isinstance(expr, cst.Call) and self._waits_on_loop(expr):
                return None  # `async with asyncio.TaskGroup()`, `asyncio.timeout()`
            while self._is_transparent(expr):  # aiter(obj), aclosing(obj)
                if use is Use.ENTER:
                    return None  # closes an async iterator: no I/O of its own
                expr = expr.args[0].value
            method = "__aiter__" if use is Use.ITERATE else "__aenter__"
            receiver = self.receiver(expr, info)
            if receiver:
                return AwaitSite(SiteKind.ATTR, method, receiver=receiver)
            return AwaitSite(SiteKind.OPAQUE, written(expr))
        if isinstance(expr, cst.Name):
            return self._awaited_name(expr.value, info)
        if not isinstance(expr, cst.Call):
            return AwaitSite(SiteKind.OPAQUE, written(expr))
        func = expr.func
        if isinstance(func, cst.Call) and self.is_sync_to_async(cst_dotted(func.func)):
            return self._hop(func, info)
        thread = self.thread_call(expr)
        if thread is not None:  # await asyncio.to_thread(f, x)
            label, target = thread
            runs = self._runs(target, info) if target is not None else ()
            return AwaitSite(SiteKind.HOP, label, runs=runs)
        dotted = cst_dotted(func)
        if dotted and self.names.is_bound(dotted.split(".", 1)[0]):
            resolved = self.resolved(dotted)
            if self.conventions.is_io(resolved):
                return AwaitSite(SiteKind.IO, resolved)
            if self._waits_on_loop(expr):
                return None
        if _getattr_target(func) is not None:  # getattr(obj, "m")(...)
            func = _getattr_target(func)
        pattern = self._getattr_pattern(func, info)
        if pattern is not None:  # getattr(obj, "aget_%s_permissions" % x)(...)
            obj, name = pattern
            receiver = self.receiver(obj, info)
            if receiver:
                return AwaitSite(SiteKind.ATTR, name, receiver=receiver)
        if isinstance(func, cst.Name):
            return self._name_site(func.value, info)
        if isinstance(func, cst.Attribute):
            return self._attribute_site(func, info)
        return AwaitSite(SiteKind.OPAQUE, written(expr))

    def _attribute_site(self, func: cst.Attribute, info: DefInfo) -> AwaitSite:
        module = self.names.module
        attr = func.attr.value
        value = func.value
        owner = info.owner
        if isinstance(value, cst.Name) and value.value in ("self", "cls") and owner:
            if self.is_product(owner.assigned, attr):
                return AwaitSite(
                    SiteKind.HOP,
                    f"sync_to_async({attr})",
                    runs=(f"self:{module}.{owner.qualname}",),
                )
            return AwaitSite(SiteKind.SELF, attr, (f"{module}.{owner.qualname}",))
        if _is_super_call(value) and owner:
            return AwaitSite(SiteKind.SUPER, attr, (f"{module}.{owner.qualname}",))
        dotted = cst_dotted(func)
        if dotted and self.names.is_bound(dotted.split(".", 1)[0]):
            return AwaitSite(SiteKind.NAME, attr, (self.names.resolve(dotted),))
        receiver = self.receiver(value, info)
        if receiver:
            return AwaitSite(SiteKind.ATTR, attr, receiver=receiver)
        return AwaitSite(SiteKind.OPAQUE, written(func) + "()")

    @staticmethod
    def _local_method(
        name: str, info: DefInfo, *, search_parents: bool = True
    ) -> cst.Attribute | None:
        """A local bound to a method (`func = self._cache.aset`, or
        `getattr(self, "get")`): the first such binding."""
        scope: DefInfo | None = info
        while scope is not None:
            for value in scope.bound.get(name, ()):
                method = _getattr_target(value) or value
                if isinstance(method, cst.Attribute):
                    return method
            if name in scope.bound or not search_parents:
                return None
            scope = scope.parent
        return None

    def _is_transparent(self, expr: cst.BaseExpression) -> bool:
        if not isinstance(expr, cst.Call) or not expr.args:
            return False
        dotted = cst_dotted(expr.func)
        return bool(dotted) and self.resolved(dotted) in self.conventions.transparent

    @staticmethod
    def _getattr_pattern(node, info: DefInfo) -> tuple[cst.BaseExpression, str] | None:
        """`getattr(obj, name)` where `name` is built from a pattern
        (`"aget_%s_permissions" % kind`, an f-string): obj, and the pattern
        with `*` for what varies."""
        if not (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value == "getattr"
            and len(node.args) in (2, 3)
        ):
            return None
        value = node.args[1].value
        if isinstance(value, cst.Name):
            scope: DefInfo | None = info
            while scope is not None and value.value not in scope.bound:
                scope = scope.parent
            if scope is None or len(scope.bound[value.value]) != 1:
                return None
            value = scope.bound[value.value][0]
        pattern = _name_pattern(value)
        return (node.args[0].value, pattern) if pattern else None

    def _waits_on_loop(self, call: cst.Call) -> bool:
        """A call that only waits on the loop, or runs what it is handed."""
        dotted = cst_dotted(call.func)
        if not dotted or not self.names.is_bound(dotted.split(".", 1)[0]):
            return False
        return self.conventions.is_loop_only(
            self.resolved(dotted)
        ) or self._runs_arguments(dotted)

    def _awaited_name(self, name: str, info: DefInfo) -> AwaitSite | None:
        """`await coro`: a parameter is handed in; a local bound to a call is
        that call."""
        scope: DefInfo | None = info
        while scope is not None:
            if scope.handed_in(name):
                return self._parameter_site(name)
            if name in scope.bound:
                value = scope.bound[name][-1]
                if isinstance(value, cst.Call):
                    return self.site(value, info)
                return AwaitSite(SiteKind.OPAQUE, name)
            scope = scope.parent
        return AwaitSite(SiteKind.OPAQUE, name)

    def _parameter_site(self, name: str) -> AwaitSite:
        if name in self.conventions.io_parameters:
            return AwaitSite(SiteKind.IO, name)
        return AwaitSite(SiteKind.CALLBACK, name)

    # Receivers --------------------------------------------------------
    def receiver(
        self, node: cst.BaseExpression, info: DefInfo, _seen: frozenset = frozenset()
    ) -> tuple[str, ...]:
        """What `obj` in `obj.m()` is, as the code writes it: a head the
        evidence of this module types, then the attributes and method calls
        after it (`self.model.objects.filter(...)` -> self, model, objects,
        filter()). A local bound to an expression stands for that expression
        (`user = self.make()`: self, make()). The tree pass types the rest
        (analyzers/tree_pass/receivers.py)."""
        parts = []
        while True:
            if self._is_transparent(node):  # aclosing(obj) stands for obj
                node = node.args[0].value
            elif _getattr_target(node) is not None:
                node = _getattr_target(node)
            elif isinstance(node, cst.Attribute):
                parts.append(node.attr.value)
                node = node.value
            elif isinstance(node, cst.Call) and _getattr_target(node.func) is not None:
                parts.append(_getattr_target(node.func).attr.value + "()")
                node = _getattr_target(node.func).value
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                parts.append(node.func.attr.value + "()")
                node = node.func.value
            elif (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Name)
                and (method := self._local_method(node.func.value, info)) is not None
            ):  # `method = self.get; method(...)`
                parts.append(method.attr.value + "()")
                node = method.value
            elif isinstance(node, cst.Await):
                node = node.expression
            else:
                break
        head = self._head(node, info, _seen)
        return (*head, *reversed(parts)) if head else ()

    def _head(
        self, node: cst.BaseExpression, info: DefInfo, seen: frozenset
    ) -> tuple[str, ...]:
        if isinstance(node, cst.Name):
            name = node.value
            if name in ("self", "cls") and info.owner is not None:
                return (f"self:{self.names.module}.{info.owner.qualname}",)
            return self._local_head(name, info, seen)
        dotted = None
        if isinstance(node, cst.Call):
            dotted, form = cst_dotted(node.func), "call"
        elif isinstance(node, cst.Subscript):
            dotted, form = cst_dotted(node.value), "item"
        token = head_token(self.names, form, dotted) if dotted else None
        return (token,) if token else ()

    def _local_head(self, name: str, info: DefInfo, seen: frozenset) -> tuple:
        """A bare name: an isinstance guard, a local binding, an annotated
        parameter (innermost def first), a module-level binding, an import;
        else the name as written, for the naming conventions."""
        scope: DefInfo | None = info
        while scope is not None:
            if name in scope.guards:
                token = head_token(self.names, "ann", scope.guards[name])
                if token:
                    return (token,)
            if name in scope.bindings:
                token = first_token(self.names, scope.bindings[name])
                if token:
                    return (token,)
            if name in scope.bound and name not in seen:
                for value in scope.bound[name]:
                    found = self.receiver(value, scope, seen | {name})
                    if found:
                        return found
            if name in scope.params:
                token = head_token(self.names, "ann", scope.params[name])
                if token:
                    return (token,)
            if scope.handed_in(name):
                return (f"arg:{name}",)  # handed in by the caller
            scope = scope.parent
        if name in self.collector.module_bindings:
            token = first_token(self.names, self.collector.module_bindings[name])
            if token:
                return (token,)
        return (head_token(self.names, "name", name) or f"var:{name}",)

    def returned(self, expr: cst.BaseExpression) -> tuple[str, ...]:
        """A `return` value as a receiver, for typing calls of the def."""
        info = self._returning.get(id(expr))
        return self.receiver(expr, info) if info is not None else ()

    def _name_site(self, name: str, info: DefInfo) -> AwaitSite:
        scope: DefInfo | None = info
        while scope is not None:
            if self.is_product(scope.assigned, name):
                made = scope.bound.get(name, [None])[-1]
                if isinstance(made, cst.Call) and made.args:
                    return self._hop(made, info)
                return AwaitSite(SiteKind.HOP, f"sync_to_async({name})")
            if name in scope.nested:
                return self._defs_site(name, scope.nested[name])
            method = self._local_method(name, scope, search_parents=False)
            if method is not None:
                # `func = self._cache.aset; await func(...)`: that method.
                return self._attribute_site(method, info)
            if scope.handed_in(name):
                return self._parameter_site(name)
            scope = scope.parent
        if self.is_product(self.collector.module_assigned, name):
            return AwaitSite(
                SiteKind.HOP,
                f"sync_to_async({name})",
                runs=(f"name:{self.names.module}.{name}",),
            )
        if name in self.collector.module_defs:
            return self._defs_site(name, self.collector.module_defs[name])
        if self.names.is_bound(name):
            return AwaitSite(SiteKind.NAME, name, (self.names.resolve(name),))
        return AwaitSite(SiteKind.OPAQUE, name + "()")

    def thread_call(
        self, call: cst.Call
    ) -> tuple[str, cst.BaseExpression | None] | None:
        """A call that runs a callable in a thread itself (`asyncio.to_thread
        (f, x)`, `loop.run_in_executor(None, f)`): its hop label and the
        callable (through a lambda or functools.partial), else None."""
        written = cst_dotted(call.func)
        if not written:
            return None
        position = self.conventions.thread_call(self.resolved(written), written)
        if position is None:
            return None
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        target = positional[position].value if len(positional) > position else None
        if isinstance(target, cst.Call) and self.resolved(
            cst_dotted(target.func) or ""
        ) in ("functools.partial", "partial"):
            target = target.args[0].value if target.args else None
        target = _lambda_body(target)
        bridge = written.rsplit(".", 1)[-1]
        return f"{bridge}({_label_of(target)})", target

    def _hop(self, call: cst.Call, info: DefInfo) -> AwaitSite:
        """`sync_to_async(target)`: a hop, and what runs in the thread."""
        target = _lambda_body(call.args[0].value if call.args else None)
        return AwaitSite(
            SiteKind.HOP,
            hop_label(call),
            runs=self._runs(target, info) if target is not None else (),
        )

    def _runs(self, target: cst.BaseExpression, info: DefInfo) -> tuple[str, ...]:
        if isinstance(target, cst.Attribute):
            receiver = self.receiver(target.value, info)
            return (*receiver, target.attr.value) if receiver else ()
        if not isinstance(target, cst.Name):
            return ()  # a lambda, a call: the code does not say
        name = target.value
        scope: DefInfo | None = info
        while scope is not None:
            if name in scope.nested:
                return (f"name:{self.names.module}.{scope.nested[name][0].qualname}",)
            method = self._local_method(name, scope, search_parents=False)
            if method is not None:
                return self._runs(method, scope)
            if name in scope.bound or scope.handed_in(name):
                return ()
            scope = scope.parent
        if self.names.is_bound(name):
            return (f"name:{self.names.resolve(name)}",)
        return ()

    def _defs_site(self, name: str, defs: list[DefInfo]) -> AwaitSite:
        if all(any(self.is_sync_to_async(d) for d in item.decorators) for item in defs):
            runs = (f"name:{self.names.module}.{defs[0].qualname}",)
            return AwaitSite(SiteKind.HOP, f"sync_to_async({name})", runs=runs)
        targets = tuple(
            dict.fromkeys(f"{self.names.module}.{d.qualname}" for d in defs)
        )
        return AwaitSite(SiteKind.NAME, name, targets)


WRITTEN_MAX = 60


def written(node: cst.CSTNode) -> str:
    """The expression as the code writes it, shortened: a label for a reader."""
    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= WRITTEN_MAX else text[: WRITTEN_MAX - 1] + "…"


def _getattr_target(node: cst.BaseExpression) -> cst.Attribute | None:
    """`getattr(obj, "name")` or `getattr(obj, "name", default)` as the
    attribute `obj.name` it reads; None for anything else."""
    if not (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "getattr"
        and len(node.args) in (2, 3)
        and isinstance(node.args[1].value, cst.SimpleString)
    ):
        return None
    name = node.args[1].value.evaluated_value
    if not isinstance(name, str) or not name.isidentifier():
        return None
    return cst.Attribute(value=node.args[0].value, attr=cst.Name(name))


def _name_pattern(value: cst.BaseExpression) -> str | None:
    """`"aget_%s_permissions" % x` or `f"aget_{x}_permissions"` as the
    pattern "aget_*_permissions"; None unless it names identifiers."""
    if (
        isinstance(value, cst.BinaryOperation)
        and isinstance(value.operator, cst.Modulo)
        and isinstance(value.left, cst.SimpleString)
    ):
        text = value.left.evaluated_value
        if not isinstance(text, str):
            return None
        pattern = re.sub(r"%[sdr]", "*", text)
    elif isinstance(value, cst.FormattedString):
        pattern = "".join(
            part.value if isinstance(part, cst.FormattedStringText) else "*"
            for part in value.parts
        )
    else:
        return None
    literal = pattern.replace("*", "")
    if (
        "*" not in pattern
        or len(literal) < 3
        or not literal.replace("_", "a").isalnum()
    ):
        return None
    return pattern


def _argument_calls(call: cst.Call, info: DefInfo):
    """The calls handed to gather/create_task/wait_for, as (call, optional):
    an argument that is a call, a local bound to one, or the element of a
    comprehension (which may run no time at all)."""
    for arg in call.args:
        if arg.keyword is not None:  # create_task(coro, context=...)
            continue
        value = arg.value
        if isinstance(value, cst.Call):
            yield value, False
        elif isinstance(value, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
            if isinstance(value.elt, cst.Call):
                yield value.elt, True
        elif isinstance(value, cst.Name):
            scope: DefInfo | None = info
            while scope is not None and value.value not in scope.bound:
                scope = scope.parent
            if scope is not None and isinstance(scope.bound[value.value][-1], cst.Call):
                yield scope.bound[value.value][-1], False


def _statements(node: cst.FunctionDef) -> list[cst.BaseStatement]:
    body = node.body
    if isinstance(body, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=body.body)]
    return list(body.body)


def _lambda_body(target: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """`lambda: self.session` or `lambda: self.load(key)`: what it runs
    (the attribute, or the callee), for a hop through a lambda."""
    if not (isinstance(target, cst.Lambda) and not target.params.params):
        return target
    body = target.body
    if isinstance(body, cst.Call):
        body = body.func
    return body if isinstance(body, (cst.Attribute, cst.Name)) else target


def hop_label(call: cst.Call) -> str:
    """`sync_to_async(self.get, ...)` -> "sync_to_async(get)"; through a
    lambda, what the lambda runs (`lambda: self.session` -> session)."""
    target = _lambda_body(call.args[0].value if call.args else None)
    return f"sync_to_async({_label_of(target)})"


def _label_of(target: cst.BaseExpression | None) -> str:
    if isinstance(target, cst.Attribute):
        return target.attr.value
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Lambda):
        return "<lambda>"
    return "..."


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
