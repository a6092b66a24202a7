"""The full path: one libcst walk over a file that holds async code.

The walk keeps a stack of enclosing classes and defs and records, per def,
what it awaits, which bridges it calls and what it calls without awaiting.
Everything is resolved after the walk, when every name of the module is
known. Line numbers come from Python's `ast` (a tenth of libcst's parse cost,
the same numbers) rather than libcst's PositionProvider, which costs several
parses; the provider is the fallback for files `ast` cannot parse.
"""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from analyzers.file_pass.cst_visit import walk
from analyzers.file_pass.names import cst_dotted
from analyzers.file_pass.scopes import CAPABILITY_FLAGS, ModuleNames, qualname_of

MARK_COROUTINE = "markcoroutinefunction"


@dataclass(eq=False)
class ClassInfo:
    node: cst.ClassDef
    qualname: str
    bases: list[str]
    capability: dict[str, bool] = field(default_factory=dict)
    # name -> callee of `name = callee(...)` in the class body; classify.py
    # decides which callees are sync_to_async (then the name is a thread hop).
    assigned: dict[str, str] = field(default_factory=dict)
    marks_coroutine: bool = False
    # attribute -> values written to it in the class body or in __init__, as
    # (form, dotted) pairs (scopes.head_token); the first that resolves wins.
    attrs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Attributes __init__ sets from its own unannotated parameters.
    callbacks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CallSite:
    dotted: str | None  # the callee as written: "sync_to_async", "self.load"
    node: cst.Call
    awaited: bool
    conditional: bool = False  # a path through the def may skip it


class Use(enum.Enum):
    """How a def uses what it awaits."""

    AWAIT = "await"  # `await x`
    ITERATE = "iterate"  # `async for _ in x`
    ENTER = "enter"  # `async with x`


@dataclass(frozen=True)
class Awaited:
    expression: cst.BaseExpression
    use: Use
    conditional: bool


@dataclass(eq=False)
class DefInfo:
    """One def as the walk saw it; `classify.py` turns it into a FunctionRecord."""

    node: cst.FunctionDef
    qualname: str
    parent: DefInfo | None  # the enclosing def, for closures
    owner: ClassInfo | None  # the class `self` belongs to, for methods and closures
    scope: str  # qualname of the enclosing class or def ("" for module level)
    scope_is_class: bool
    decorators: tuple[str, ...]
    awaited: list[Awaited] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    assigned: dict[str, str] = field(default_factory=dict)  # x = callee(...)
    nested: dict[str, list[DefInfo]] = field(default_factory=dict)
    has_yield: bool = False
    params: dict[str, str] = field(default_factory=dict)  # name -> annotation
    param_names: frozenset[str] = frozenset()  # every parameter
    # Local names -> (form, dotted) of the values bound to them, in order.
    bindings: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Local names -> the expressions bound to them, for typing a local bound
    # from a call (`user = self._create_user_object(...)`).
    bound: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    guards: dict[str, str] = field(default_factory=dict)  # isinstance(x, C)
    returns: list[cst.BaseExpression] = field(default_factory=list)
    # How deep in branches the def itself starts (Collector._branches).
    branch_base: int = 0
    # Loop targets over what the caller handed in (`for cb in callbacks`).
    handed: set[str] = field(default_factory=set)

    def handed_in(self, name: str) -> bool:
        """Did the caller hand `name` in: a parameter never rebound, or an
        item of one?"""
        return (name in self.param_names and name not in self.bound) or (
            name in self.handed
        )

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def is_async(self) -> bool:
        return self.node.asynchronous is not None


class Collector(cst.CSTVisitor):
    """Collects classes, defs, imports and call sites in one walk."""

    def __init__(self, names: ModuleNames) -> None:
        self.names = names
        self.stack: list[ClassInfo | DefInfo] = []
        self.defs: list[DefInfo] = []
        self.classes: list[ClassInfo] = []
        self.module_assigned: dict[str, str] = {}
        self.module_bindings: dict[str, list[tuple[str, str]]] = {}
        self.module_defs: dict[str, list[DefInfo]] = {}
        self._awaited_calls: set[int] = set()
        self._in_decorator = 0
        # Nesting in code a path may skip: if/else bodies, loop bodies,
        # except/else handlers, the right of and/or, conditional expressions,
        # comprehensions, match cases.
        self._branches = 0

    # Scopes -------------------------------------------------------------
    def _parents(self) -> list[tuple[str, bool]]:
        return [
            (item.node.name.value, isinstance(item, DefInfo)) for item in self.stack
        ]

    def _current_def(self) -> DefInfo | None:
        top = self.stack[-1] if self.stack else None
        return top if isinstance(top, DefInfo) else None

    def _owner(self) -> ClassInfo | None:
        for item in reversed(self.stack):
            if isinstance(item, ClassInfo):
                return item
        return None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not self.stack:
            self.names.top_level.add(node.name.value)
        # Starred bases (`class C(*mixins)`) cannot be followed; ast agrees.
        bases = [
            name
            for arg in node.bases
            if not arg.star
            for name in _base_names(arg.value)
        ]
        info = ClassInfo(node, qualname_of(self._parents(), node.name.value), bases)
        self.classes.append(info)
        self.stack.append(info)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        parent = self.stack[-1] if self.stack else None
        decorators = tuple(
            name
            for dec in node.decorators
            if (name := cst_dotted(_callee(dec.decorator))) is not None
        )
        info = DefInfo(
            node=node,
            qualname=qualname_of(self._parents(), node.name.value),
            parent=parent if isinstance(parent, DefInfo) else None,
            owner=self._owner(),
            scope=parent_qualname(parent),
            scope_is_class=isinstance(parent, ClassInfo),
            decorators=decorators,
            params=_annotations(node.params),
            param_names=_param_names(node.params),
            branch_base=self._branches,
        )
        if parent is None:
            self.names.top_level.add(info.name)
            self.module_defs.setdefault(info.name, []).append(info)
        elif isinstance(parent, DefInfo):
            parent.nested.setdefault(info.name, []).append(info)
        self.defs.append(info)
        self.stack.append(info)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False  # a lambda's body does not run where it is written

    # Branches: code a path through the def may skip ----------------------
    def _enter_branch(self, *_) -> None:
        self._branches += 1

    def _leave_branch(self, *_) -> None:
        self._branches -= 1

    visit_If_body = visit_If_orelse = _enter_branch
    leave_If_body = leave_If_orelse = _leave_branch
    visit_For_body = visit_For_orelse = _enter_branch
    leave_For_body = leave_For_orelse = _leave_branch
    visit_While_body = visit_While_orelse = _enter_branch
    leave_While_body = leave_While_orelse = _leave_branch
    visit_ExceptHandler = visit_ExceptStarHandler = _enter_branch
    leave_ExceptHandler = leave_ExceptStarHandler = _leave_branch
    visit_Try_orelse = visit_TryStar_orelse = _enter_branch
    leave_Try_orelse = leave_TryStar_orelse = _leave_branch
    visit_BooleanOperation_right = _enter_branch
    leave_BooleanOperation_right = _leave_branch
    visit_IfExp_body = visit_IfExp_orelse = _enter_branch
    leave_IfExp_body = leave_IfExp_orelse = _leave_branch
    visit_MatchCase = _enter_branch
    leave_MatchCase = _leave_branch

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._loop_over(node.target, node.iter)
        # The comprehension's own iterable always runs; what follows may not.
        if node.asynchronous is not None:
            self._awaits(node.iter, Use.ITERATE)
        self._branches += 1

    def leave_CompFor(self, original_node: cst.CompFor) -> None:
        self._branches -= 1

    def _in_branch(self, current: DefInfo) -> bool:
        return self._branches > current.branch_base

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self._in_decorator += 1  # decorators run in the enclosing scope

    def leave_Decorator(self, original_node: cst.Decorator) -> None:
        self._in_decorator -= 1

    # Imports and assignments ------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self.names.add_plain_import(
                dotted=cst_dotted(alias.name) or "",
                alias=_alias(alias),
                module_level=not self.stack,
            )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        names = (
            [("*", "*")]
            if isinstance(node.names, cst.ImportStar)
            else [
                (cst_dotted(a.name) or "", _alias(a) or cst_dotted(a.name) or "")
                for a in node.names
            ]
        )
        self.names.add_import_from(
            level=len(node.relative),
            source=cst_dotted(node.module) if node.module else "",
            names=names,
            module_level=not self.stack,
        )

    def visit_Assign(self, node: cst.Assign) -> None:
        targets = [t.target for t in node.targets]
        self._assigned(targets, node.value)
        self._bind(targets, value_form(node.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        top = self.stack[-1] if self.stack else None
        if (
            isinstance(top, ClassInfo)
            and isinstance(node.target, cst.Name)
            and _is_callable(node.annotation.annotation)
        ):
            top.callbacks.append(node.target.value)  # a dataclass's `func: Callable`
        annotation = annotation_name(node.annotation.annotation)
        if annotation:
            self._bind([node.target], ("ann", annotation))
        if node.value is not None:
            self._assigned([node.target], node.value)
            self._bind([node.target], value_form(node.value))

    def visit_Assign_value(self, node: cst.Assign) -> None:
        self._bound([t.target for t in node.targets], node.value)

    def visit_AnnAssign_value(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bound([node.target], node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bound([node.target], node.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bound([node.asname.name], node.item)

    def _bound(self, targets: list, value: cst.BaseExpression) -> None:
        """A local name bound to an expression, for typing it later."""
        current = self._current_def()
        if current is None:
            return
        for target in targets:
            if isinstance(target, cst.Name):
                current.bound.setdefault(target.value, []).append(value)

    def visit_Return(self, node: cst.Return) -> None:
        current = self._current_def()
        if current is not None and node.value is not None:
            current.returns.append(node.value)

    def _bind(self, targets: list, form: tuple[str, str] | None) -> None:
        """Record what names and `self.x` attributes hold, for typing receivers."""
        if form is None:
            return
        top = self.stack[-1] if self.stack else None
        for target in targets:
            if isinstance(target, cst.Name):
                if top is None:
                    table = self.module_bindings
                elif isinstance(top, ClassInfo):
                    table = top.attrs
                else:
                    table = top.bindings
                table.setdefault(target.value, []).append(form)
            elif (
                isinstance(top, DefInfo)
                and top.name == "__init__"
                and top.scope_is_class
                and top.owner is not None
                and isinstance(target, cst.Attribute)
                and isinstance(target.value, cst.Name)
                and target.value.value == "self"
            ):
                # `self.backend = backend`: the parameter's annotation says more.
                if form[0] == "name" and form[1] in top.params:
                    form = ("ann", top.params[form[1]])
                elif form[0] == "name" and form[1] in top.param_names:
                    top.owner.callbacks.append(target.attr.value)
                top.owner.attrs.setdefault(target.attr.value, []).append(form)

    def _assigned(self, targets: list, value: cst.BaseExpression) -> None:
        names = [t.value for t in targets if isinstance(t, cst.Name)]
        top = self.stack[-1] if self.stack else None
        if isinstance(value, cst.Call) and (callee := cst_dotted(value.func)):
            table = self.module_assigned if top is None else top.assigned
            table.update(dict.fromkeys(names, callee))
        elif isinstance(top, ClassInfo) and isinstance(value, cst.Name):
            for name in names:
                if name in CAPABILITY_FLAGS:
                    top.capability[name] = value.value == "True"

    # What a def does ---------------------------------------------------
    def visit_Await(self, node: cst.Await) -> None:
        self._awaits(node.expression, Use.AWAIT)

    def _loop_over(self, target: cst.BaseExpression, iterable) -> None:
        """Items of what the caller handed in are handed in too."""
        current = self._current_def()
        if (
            current is not None
            and isinstance(iterable, cst.Name)
            and isinstance(target, cst.Name)
            and current.handed_in(iterable.value)
        ):
            current.handed.add(target.value)

    def visit_For(self, node: cst.For) -> None:
        self._loop_over(node.target, node.iter)
        if node.asynchronous is not None:
            self._awaits(node.iter, Use.ITERATE)
        if self._current_def() is None or not isinstance(node.iter, cst.Call):
            return
        if source := cst_dotted(node.iter.func):
            if isinstance(node.target, cst.Name):
                self._bind([node.target], ("each0", source))
            elif isinstance(node.target, (cst.Tuple, cst.List)):
                for i, element in enumerate(node.target.elements):
                    self._bind([element.value], (f"each{i}", source))

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            for item in node.items:
                self._awaits(item.item, Use.ENTER)

    def _awaits(self, expression: cst.BaseExpression, use: Use) -> None:
        current = self._current_def()
        if current is not None:
            current.awaited.append(
                Awaited(expression, use, conditional=self._in_branch(current))
            )
            if isinstance(expression, cst.Call) and use is Use.AWAIT:
                self._awaited_calls.add(id(expression))

    def visit_Yield(self, node: cst.Yield) -> None:
        current = self._current_def()
        if current is not None:
            current.has_yield = True

    def visit_Call(self, node: cst.Call) -> None:
        if self._in_decorator:
            return
        name = cst_dotted(node.func)
        if name and name.rsplit(".", 1)[-1] == MARK_COROUTINE:
            owner = self._owner()
            if owner is not None:
                owner.marks_coroutine = True
        current = self._current_def()
        if current is not None:
            awaited = id(node) in self._awaited_calls
            current.calls.append(
                CallSite(name, node, awaited, conditional=self._in_branch(current))
            )
            if name == "isinstance" and len(node.args) == 2:
                subject, cls = node.args[0].value, cst_dotted(node.args[1].value)
                if isinstance(subject, cst.Name) and cls:
                    current.guards.setdefault(subject.value, cls)


def value_form(value: cst.BaseExpression) -> tuple[str, str] | None:
    """How a bound value is written: `X(...)`, `X[...]` or `X` (scopes.head_token)."""
    if isinstance(value, cst.Call):
        dotted = cst_dotted(value.func)
        return ("call", dotted) if dotted else None
    if isinstance(value, cst.Subscript):
        dotted = cst_dotted(value.value)
        return ("item", dotted) if dotted else None
    dotted = cst_dotted(value)
    return ("name", dotted) if dotted else None


def annotation_name(node: cst.BaseExpression) -> str | None:
    """`Foo`, `mod.Foo` or `"Foo"`; generics and unions say too little."""
    if isinstance(node, cst.SimpleString):
        text = node.evaluated_value
        return text if isinstance(text, str) and _is_dotted(text) else None
    return cst_dotted(node)


def _is_callable(node: cst.BaseExpression) -> bool:
    """`Callable`, `Callable[...]`, `typing.Callable`: a callable handed in."""
    if isinstance(node, cst.Subscript):
        node = node.value
    name = cst_dotted(node)
    return bool(name) and name.rsplit(".", 1)[-1] == "Callable"


def _is_dotted(text: str) -> bool:
    return all(part.isidentifier() for part in text.split("."))


def _annotations(params: cst.Parameters) -> dict[str, str]:
    found = {}
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.annotation is not None:
            name = annotation_name(param.annotation.annotation)
            if name:
                found[param.name.value] = name
    return found


def _param_names(params: cst.Parameters) -> frozenset[str]:
    found = [
        param.name.value
        for param in (*params.posonly_params, *params.params, *params.kwonly_params)
    ]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            found.append(star.name.value)
    return frozenset(found)


def parent_qualname(parent: ClassInfo | DefInfo | None) -> str:
    if parent is None:
        return ""
    if isinstance(parent, DefInfo):
        return f"{parent.qualname}.<locals>"
    return parent.qualname


def _callee(expression: cst.BaseExpression) -> cst.BaseExpression:
    return expression.func if isinstance(expression, cst.Call) else expression


def _alias(alias: cst.ImportAlias) -> str | None:
    if alias.asname is None:
        return None
    return cst_dotted(alias.asname.name)


def _base_names(node: cst.BaseExpression) -> list[str]:
    """As ast_walk.base_names: a class factory call names receiver and args."""
    if isinstance(node, cst.Call):
        names = [
            cst_dotted(arg.value)
            for arg in node.args
            if not arg.keyword and not arg.star
        ]
        if isinstance(node.func, cst.Attribute):
            names.insert(0, cst_dotted(node.func.value))
        return [name for name in names if name]
    name = cst_dotted(node)
    return [name] if name else []


@dataclass(frozen=True)
class Spans:
    """Line spans of defs and classes, in walk order."""

    defs: list[tuple[int, int]]
    classes: list[int]
    from_ast: bool = True  # else from libcst's positions


def spans_from_ast(tree: ast.Module) -> Spans:
    defs, classes = [], []
    # Defs and classes are statements, so only statement lists can hold
    # them: walking those alone skips the expressions (most of the nodes).
    bodies = [tree.body]
    while bodies:
        for node in bodies.pop():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                end = node.end_lineno or node.lineno
                defs.append((node.lineno, node.col_offset, end))
            elif isinstance(node, ast.ClassDef):
                classes.append((node.lineno, node.col_offset))
            bodies.extend(_statement_lists(node))
    # libcst walks in source order; this walk does not, so sort.
    defs.sort()
    classes.sort()
    return Spans([(first, last) for first, _, last in defs], [c[0] for c in classes])


def _statement_lists(node: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists a statement holds: bodies, handlers, cases, else
    and finally blocks (an expression holds none)."""
    found = [getattr(node, name, None) for name in ("body", "orelse", "finalbody")]
    found += [handler.body for handler in getattr(node, "handlers", ())]
    found += [case.body for case in getattr(node, "cases", ())]
    return [body for body in found if isinstance(body, list)]


def spans_from_positions(module: cst.Module, collector: Collector) -> Spans:
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return Spans(
        [
            (positions[d.node.name].start.line, positions[d.node].end.line)
            for d in collector.defs
        ],
        [positions[c.node.name].start.line for c in collector.classes],
        from_ast=False,
    )


def collect(module: cst.Module, names: ModuleNames) -> Collector:
    collector = Collector(names)
    walk(module, collector)
    return collector
