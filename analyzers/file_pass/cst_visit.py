"""libcst's read-only visit, without rebuilding the tree on the way back.

`node.visit(visitor)` calls a CSTVisitor's hooks and then, even for a visitor
that changes nothing, rebuilds every node it left (a dataclass construction
with validation), and looks each hook up by a formatted name on every node
and every attribute: three quarters of the time of a walk of Django's async
modules. `walk(node, visitor)` calls the same hooks (`visit_<Node>`,
`visit_<Node>_<attribute>`, `leave_<Node>_<attribute>`, `leave_<Node>`) in
the same order, skipping a node's children when its `visit_` returns False,
and rebuilds nothing. Hooks are looked up once per visitor class and node
type; the no-op hooks libcst's base class declares are never called, and a
visitor with no hook for whitespace, comments, operators or brackets does
not walk into them at all.

The attributes of a node type are visited in the order libcst's own
`_visit_and_replace_children` visits them, recorded from it the first time a
type is met. Visitors that override `on_visit`/`on_leave` or their attribute
forms go through libcst's own visit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import libcst as cst
import libcst._nodes.op as operator_nodes
import libcst._nodes.whitespace as whitespace_nodes
from libcst import CSTNode, CSTVisitor

_GENERIC = ("on_visit", "on_leave", "on_visit_attribute", "on_leave_attribute")
# Visited only when not None (libcst then calls no attribute hook either).
_WHEN_PRESENT = frozenset({"format_spec"})

Hook = Callable[[CSTVisitor, CSTNode], object] | None
Plan = tuple[Hook, Hook, tuple[tuple[str, Hook, Hook], ...]]

_attributes: dict[type, tuple[str, ...]] = {}
_plans: dict[tuple[type, type], Plan] = {}


def walk(node: CSTNode, visitor: CSTVisitor) -> None:
    """What `node.visit(visitor)` does for a CSTVisitor, tree left as it is."""
    kind = type(visitor)
    if any(getattr(kind, name) is not getattr(CSTVisitor, name) for name in _GENERIC):
        node.visit(visitor)
        return
    _walk(node, visitor, kind, _TOKENS if _ignores_tokens(kind) else frozenset())


def _walk(node: CSTNode, visitor: CSTVisitor, kind: type, skip: frozenset) -> None:
    """`skip`: node types not walked into at all (the tokens, for a visitor
    with no hook on them: half the calls otherwise)."""
    plan = _plans.get((kind, type(node)))
    if plan is None:
        plan = _plan(kind, node)
    enter, leave, attributes = plan
    if enter is None or enter(visitor, node) is not False:
        for name, enter_attribute, leave_attribute in attributes:
            value = getattr(node, name)
            if value is None and name in _WHEN_PRESENT:
                continue
            if enter_attribute is not None:
                enter_attribute(visitor, node)
            if isinstance(value, (tuple, list)):
                for child in value:
                    if type(child) not in skip:
                        _walk(child, visitor, kind, skip)
            elif (
                value is not None
                and value is not cst.MaybeSentinel.DEFAULT
                and type(value) not in skip
            ):
                _walk(value, visitor, kind, skip)
            if leave_attribute is not None:
                leave_attribute(visitor, node)
    if leave is not None:
        leave(visitor, node)


def _plan(kind: type, node: CSTNode) -> Plan:
    node_type = type(node)
    name = node_type.__name__
    if node_type in _TOKENS and _ignores_tokens(kind):
        plan: Plan = (None, None, ())
        _plans[(kind, node_type)] = plan
        return plan
    plan = (
        _hook(kind, f"visit_{name}"),
        _hook(kind, f"leave_{name}"),
        tuple(
            (
                attribute,
                _hook(kind, f"visit_{name}_{attribute}"),
                _hook(kind, f"leave_{name}_{attribute}"),
            )
            for attribute in _attributes_of(node)
        ),
    )
    _plans[(kind, node_type)] = plan
    return plan


def _token_types() -> frozenset[type]:
    """Whitespace, comments, operators and brackets: nodes that hold nothing
    but other such nodes (two thirds of a tree's nodes)."""
    found = {
        node_type
        for module in (whitespace_nodes, operator_nodes)
        for node_type in vars(module).values()
        if isinstance(node_type, type)
        and issubclass(node_type, CSTNode)
        and node_type.__module__ == module.__name__
    }
    brackets = ("Paren", "SquareBracket", "CurlyBrace")
    found |= {getattr(cst, side + b) for side in ("Left", "Right") for b in brackets}
    return frozenset(found)


_TOKENS = _token_types()
_TOKEN_NAMES = frozenset(node_type.__name__ for node_type in _TOKENS)


@functools.cache
def _ignores_tokens(kind: type) -> bool:
    """Whether the visitor has no hook for any token type or its attributes:
    then a token's subtree, which holds only tokens, is not walked at all."""
    for name in dir(kind):
        side, _, rest = name.partition("_")
        hooked = side in ("visit", "leave") and rest.split("_", 1)[0] in _TOKEN_NAMES
        if hooked and _hook(kind, name) is not None:
            return False
    return True


def _hook(kind: type, name: str) -> Hook:
    found = getattr(kind, name, None)
    return None if found is None or found is getattr(CSTVisitor, name, None) else found


def _attributes_of(node: CSTNode) -> tuple[str, ...]:
    """The node type's child attributes, in libcst's visiting order."""
    node_type = type(node)
    found = _attributes.get(node_type)
    if found is None:
        recorder = _AttributeRecorder(node)
        node._visit_and_replace_children(recorder)
        names = list(dict.fromkeys(recorder.names))
        fields = getattr(node_type, "__dataclass_fields__", {})
        optional = sorted(_WHEN_PRESENT & fields.keys())
        names += [name for name in optional if name not in names]
        found = _attributes[node_type] = tuple(names)
    return found


class _AttributeRecorder(CSTVisitor):
    """Notes the attributes of one node that libcst visits, not going deeper."""

    def __init__(self, parent: CSTNode) -> None:
        super().__init__()
        self.parent = parent
        self.names: list[str] = []

    def on_visit(self, node: CSTNode) -> bool:
        return False

    def on_leave(self, original_node: CSTNode) -> None:
        pass

    def on_visit_attribute(self, node: CSTNode, attribute: str) -> None:
        if node is self.parent:
            self.names.append(attribute)

    def on_leave_attribute(self, original_node: CSTNode, attribute: str) -> None:
        pass
