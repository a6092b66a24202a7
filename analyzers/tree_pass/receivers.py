"""Type the receiver of `obj.m()` from the evidence the per-file pass kept.

The per-file pass writes a receiver as a head and the attributes and method
calls after it (`AwaitSite.receiver`). Here, with every file's classes known,
the head becomes a class and each step follows the code's own evidence first
(class attributes set in the class body or `__init__`, module-level
instances, annotations), then Django's runtime conventions
(conventions.toml [types]). The result says which of the two it took, so a
chain can tell the reader how each step was known.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING

from analyzers.conventions import TypeConventions
from analyzers.records import Resolution

if TYPE_CHECKING:
    from analyzers.tree_pass.index import SymbolIndex

Typed = tuple[str, Resolution]  # a class's full name, and how it was known


def _weaker(a: Resolution, b: Resolution) -> Resolution:
    return Resolution.CONVENTION if Resolution.CONVENTION in (a, b) else a


class ReceiverTyper:
    def __init__(
        self,
        index: SymbolIndex,
        conventions: TypeConventions,
        default_for: Callable[[str], str | None] = lambda cls: None,
    ) -> None:
        self.index = index
        self.types = conventions
        # The default backend an object of a class may be (reach.py): its
        # attributes are what a user with default settings gets.
        self.default_for = default_for
        self._returning: set[str] = set()  # functions whose result is being typed

    def type_of(self, receiver: tuple[str, ...]) -> Typed | None:
        head, *parts = receiver
        written = [_written(head)]
        typed = self.head(head)
        for part in parts:
            written.append(part.removesuffix("()"))
            typed = self._step(typed, part, written)
        return typed

    def type_of_dotted(self, dotted: str) -> Typed | None:
        """`pkg.models.Session.objects`: the longest prefix that names an
        object, then the rest as attributes."""
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            typed = self.head("name:" + ".".join(parts[:cut]))
            if typed is not None:
                return self.type_of(("name:" + ".".join(parts[:cut]), *parts[cut:]))
        return None

    def head(self, token: str) -> Typed | None:
        form, _, value = token.partition(":")
        name = self.index.canonical(value)
        if form == "self":
            return (name, Resolution.TYPE) if self._is_class(name) else None
        if form == "item":
            return self._convention(self.types.items, value, name)
        if form.startswith("each"):
            classes = self.types.yields.get(name) or self.types.yields.get(value, ())
            i = int(form[4:])
            if i < len(classes) and classes[i]:
                return self._class(classes[i], Resolution.CONVENTION)
            return None
        if self._is_class(name):  # ann, call, name: an instance or the class
            return (name, Resolution.TYPE)
        if form == "call":
            found = self._convention(self.types.returns, value, name)
            found = found or self.returned(self.index.functions.get(name, ()))
            if found is None and "." in name:  # `Permission.objects.all()`
                owner, _, method = name.rpartition(".")
                typed = self.type_of_dotted(owner)
                if typed is not None:
                    written = [*owner.split(".")[-1:], method]
                    found = self._step(typed, f"{method}()", written)
            return found
        if form == "name":
            found = self._convention(self.types.objects, value, name)
            if found is None and name in self.index.instances:
                return self._class(self.index.instances[name], Resolution.TYPE)
            return found
        if form in ("var", "arg"):  # a name nothing in the code types
            return self._convention(self.types.variables, value)
        return None

    def _step(self, typed: Typed | None, part: str, written: list[str]) -> Typed | None:
        if typed is not None:
            found = self._typed_step(typed, part)
            # A method the class has decides; else the naming conventions may.
            if found is not None or (
                part.endswith("()") and self._has_method(typed[0], part[:-2])
            ):
                return found
        # Naming conventions: `request.session`, `<anything>.objects`; a
        # class named by convention, called (`engine.SessionStore()`).
        for key, cls in self.types.attributes.items():
            suffix = key.split(".")
            if written[-len(suffix) :] == suffix:
                return self._class(cls, Resolution.CONVENTION)
        return None

    def _typed_step(self, typed: Typed, part: str) -> Typed | None:
        """One attribute or method call on an object of a known class."""
        cls, resolution = typed
        mro = self.index.mro(cls)
        if part.endswith("()"):
            method = part[:-2]
            held = self._attribute(mro, method)
            if held is not None:  # an attribute holding a class, called
                return held[0], _weaker(resolution, held[1])
            for chain in self.types.chains:
                on = {self.index.canonical(c) for c in chain.on}
                if method in chain.methods and on & set(mro):
                    return self._class(chain.returns, Resolution.CONVENTION)
            for owner in mro:  # a method of the class: what it returns
                records = self.index.methods.get((owner, method))
                if records:
                    found = self.returned(records)
                    return (found[0], _weaker(resolution, found[1])) if found else None
            return None
        found = self._attribute(mro, part)
        if found is not None:
            return found[0], _weaker(resolution, found[1])
        found = self._declared(cls, part)
        if found is not None:
            return found[0], _weaker(Resolution.CONVENTION, found[1])
        return None

    def _has_method(self, cls: str, name: str) -> bool:
        return any((owner, name) in self.index.methods for owner in self.index.mro(cls))

    def returned(self, records) -> Typed | None:
        """What a function returns: the first of its `return` values that
        types (FunctionRecord.returns), each function followed once."""
        for record in records:
            name = record.full_name
            if name in self._returning:
                continue
            self._returning.add(name)
            try:
                for receiver in record.returns:
                    typed = self.type_of(receiver)
                    if typed is not None:
                        return typed
            finally:
                self._returning.discard(name)
        return None

    def _declared(self, cls: str, name: str) -> Typed | None:
        """An attribute set at run time from a declared one (a model's
        `_default_manager` from `objects`), on the class or its default."""
        alias = self.types.aliases.get(name)
        default = self.default_for(cls)
        for owner in (cls, default) if default else (cls,):
            mro = self.index.mro(owner)
            found = self._attribute(mro, alias) if alias else None
            if found is None and owner != cls:
                found = self._attribute(mro, name)
            if found is not None:
                return found
        return None

    def _attribute(self, mro: list[str], name: str) -> Typed | None:
        """What the nearest class of the MRO that sets the attribute puts in it."""
        for owner in mro:
            token = self.index.attributes.get(owner, {}).get(name)
            if token is not None:
                return self.head(token)
        return None

    def _convention(self, table: dict[str, str], *names: str) -> Typed | None:
        for name in names:
            if name in table:
                return self._class(table[name], Resolution.CONVENTION)
        return None

    def _class(self, dotted: str, resolution: Resolution) -> Typed | None:
        name = self.index.canonical(dotted)
        return (name, resolution) if self._is_class(name) else None

    def _is_class(self, name: str) -> bool:
        return name in self.index.classes

    def complete(self, cls: str) -> bool:
        """Does the tree hold every base of the class (none built at run time)?

        A base the analyzer could not resolve (`class M(superclass)`, a
        parameter) may hold the method; a base outside the tree cannot hold
        an in-tree method.
        """
        for name in self.index.mro(cls):
            for base in self.index.classes[name].bases:
                resolved = self.index.canonical(base)
                if resolved in self.index.classes:
                    continue
                if "." not in resolved and not hasattr(builtins, resolved):
                    return False
                if "." in resolved and self.index.in_tree(resolved):
                    return False
        return True


def _written(head: str) -> str:
    """The name a head is written with, for the naming conventions."""
    form, _, value = head.partition(":")
    if form == "self":
        return "self"
    return value.rsplit(".", 1)[-1]


def written_path(receiver: tuple[str, ...]) -> list[str]:
    """`request.auser`'s receiver as written: ["request"] (then the parts)."""
    head, *parts = receiver
    return [_written(head), *(part.removesuffix("()") for part in parts)]
