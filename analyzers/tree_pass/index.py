"""The symbols of a whole tree: functions, classes, imports, for resolution.

Built once per tree pass from the FileResults; the reach solver, the receiver
typer and the entry-point judge all look names up here.
"""

from __future__ import annotations

from collections import deque

from analyzers.records import ClassRecord, FileResult, FunctionRecord

MAX_ALIAS_DEPTH = 10


class SymbolIndex:
    """Functions, classes and imports of a whole tree, for name resolution."""

    def __init__(self, files: list[FileResult]) -> None:
        self.functions: dict[str, list[FunctionRecord]] = {}
        self.classes: dict[str, ClassRecord] = {}
        self.methods: dict[tuple[str, str], list[FunctionRecord]] = {}
        # owner -> name -> records: the same, by class (and module)
        self.class_methods: dict[str, dict[str, list[FunctionRecord]]] = {}
        self.imports: dict[str, dict[str, str]] = {}
        self.roots: set[str] = set()
        self.attributes: dict[str, dict[str, str]] = {}
        self.callbacks: dict[str, frozenset[str]] = {}
        self.instances: dict[str, str] = {}
        for result in files:
            self.imports[result.module] = dict(result.imports)
            self.roots.add(result.module.split(".", 1)[0])
            for name, cls_name in result.instances:
                self.instances[f"{result.module}.{name}"] = cls_name
            for cls in result.classes:
                self.classes[cls.full_name] = cls
                if cls.attributes:
                    self.attributes[cls.full_name] = dict(cls.attributes)
                if cls.callbacks:
                    self.callbacks[cls.full_name] = frozenset(cls.callbacks)
            for record in result.functions:
                self.functions.setdefault(record.full_name, []).append(record)
                owner, _, name = record.full_name.rpartition(".")
                self.methods.setdefault((owner, name), []).append(record)
                by_name = self.class_methods.setdefault(owner, {})
                by_name.setdefault(name, []).append(record)
        self.products = {name for result in files for name in result.thread_products}
        self._mro: dict[str, tuple[str, ...]] = {}
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
            if name in self.classes and name != cls.full_name and name not in found:
                found.append(name)
        return found

    def mro(self, class_name: str) -> tuple[str, ...]:
        """The class then its bases in Python's method resolution order (C3),
        so a mixin listed first is looked up before the base after it; where
        C3 fails (an inconsistent or cyclic hierarchy), breadth first."""
        found = self._mro.get(class_name)
        if found is None:
            if class_name not in self.classes:
                return ()
            self._mro[class_name] = self._breadth_first(class_name)  # cycles
            bases = self.base_classes(self.classes[class_name])
            order = _c3_merge([list(self.mro(b)) for b in bases] + [list(bases)])
            found = (class_name, *order) if order is not None else None
            self._mro[class_name] = found or self._breadth_first(class_name)
            found = self._mro[class_name]
        return found

    def _breadth_first(self, class_name: str) -> tuple[str, ...]:
        order, queue = [], deque([class_name])
        while queue:
            name = queue.popleft()
            if name in order or name not in self.classes:
                continue
            order.append(name)
            queue.extend(self.base_classes(self.classes[name]))
        return tuple(order)

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

    def is_callback(self, class_name: str, name: str) -> bool:
        """Is `self.<name>` a callable handed to the class's (or a base's)
        __init__, such as a middleware's get_response?"""
        return any(name in self.callbacks.get(cls, ()) for cls in self.mro(class_name))


def _c3_merge(sequences: list[list[str]]) -> list[str] | None:
    """C3's merge: the next head in no other sequence's tail, until none is left."""
    order: list[str] = []
    while any(sequences):
        for sequence in sequences:
            if sequence and not any(sequence[0] in other[1:] for other in sequences):
                head = sequence[0]
                break
        else:
            return None  # inconsistent hierarchy
        order.append(head)
        for sequence in sequences:
            if sequence and sequence[0] == head:
                del sequence[0]
    return order
