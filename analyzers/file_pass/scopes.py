"""What both parse paths collect about a module's names, and how they resolve.

The fast path (`ast`) and the full path (libcst) each fill a `ModuleNames`
from their own tree; everything that turns those names into records lives
here, once, so that both paths give identical records for sync-only files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzers.file_pass.names import resolve_relative

# Class-level assignments that say a class serves sync and/or async callers.
CAPABILITY_FLAGS = ("async_capable", "sync_capable")


@dataclass
class ModuleNames:
    module: str
    package: bool
    imports: dict[str, str] = field(default_factory=dict)  # module level
    local_imports: dict[str, str] = field(default_factory=dict)  # in functions
    top_level: set[str] = field(default_factory=set)  # module-level defs, classes

    def add_import(self, *, local: str, target: str, module_level: bool) -> None:
        table = self.imports if module_level else self.local_imports
        table.setdefault(local, target)

    def add_import_from(
        self,
        *,
        level: int,
        source: str,
        names: list[tuple[str, str]],
        module_level: bool,
    ) -> None:
        """`from <source> import name as alias`, relative levels resolved."""
        base = resolve_relative(
            self.module, package=self.package, level=level, name=source
        )
        for name, alias in names:
            if name != "*":
                target = f"{base}.{name}" if base else name
                self.add_import(local=alias, target=target, module_level=module_level)

    def add_plain_import(self, *, dotted: str, alias: str | None, module_level: bool):
        """`import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`."""
        if alias:
            self.add_import(local=alias, target=dotted, module_level=module_level)
        else:
            head = dotted.split(".", 1)[0]
            self.add_import(local=head, target=head, module_level=module_level)

    def resolve(self, raw: str) -> str:
        """A dotted name as written (`models.Model`) -> its absolute target."""
        head, _, rest = raw.partition(".")
        if head in self.top_level:
            base = f"{self.module}.{head}"
        elif head in self.imports:
            base = self.imports[head]
        elif head in self.local_imports:
            base = self.local_imports[head]
        else:
            return raw
        return f"{base}.{rest}" if rest else base

    def is_imported(self, head: str) -> bool:
        return head in self.imports or head in self.local_imports

    def is_bound(self, head: str) -> bool:
        """Is this bare name an import or a module-level definition?"""
        return (
            head in self.top_level or head in self.imports or head in self.local_imports
        )

    def import_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.imports.items()))


def qualname_of(parents: list[tuple[str, bool]], name: str) -> str:
    """Python's __qualname__: parents are (name, is_function) from the module down."""
    parts: list[str] = []
    for parent, is_function in parents:
        parts.append(parent)
        if is_function:
            parts.append("<locals>")
    return ".".join([*parts, name])


# How a value is written, for typing the names bound to it (both parse paths
# reduce an assignment, annotation or loop to one of these and a dotted name):
# "call" `X(...)`, "name" `X`, "item" `X[...]`, "ann" `x: X` or
# isinstance(x, X), "each<i>" `for x in X(...)` (i-th name of the target).
def head_token(names: ModuleNames, form: str, raw: str) -> str | None:
    """A receiver head ("call:pkg.mod.Foo") for a value, if it names anything
    bound in the module (an import or a top-level def or class)."""
    if not names.is_bound(raw.split(".", 1)[0]):
        return None
    return f"{form}:{names.resolve(raw)}"


def instance_pairs(
    names: ModuleNames, assigned: dict[str, str]
) -> tuple[tuple[str, str], ...]:
    """Module-level `name = Callee(...)` whose callee looks like a class.

    The tree pass decides whether the callee is a class; the capitalised last
    part (Python's naming convention) only keeps `logger = getLogger()` and
    the like out of every file's stored result.
    """
    return tuple(
        sorted(
            (name, names.resolve(callee))
            for name, callee in assigned.items()
            if callee.rsplit(".", 1)[-1][:1].isupper()
            and names.is_bound(callee.split(".", 1)[0])
        )
    )


def first_token(names: ModuleNames, forms: list[tuple[str, str]]) -> str | None:
    """The first of the values bound to a name that names anything."""
    for form, raw in forms:
        token = head_token(names, form, raw)
        if token is not None:
            return token
    return None


def attribute_pairs(
    names: ModuleNames, raw: dict[str, list[tuple[str, str]]]
) -> tuple[tuple[str, str], ...]:
    """A class's attributes as (name, receiver head), those that name anything."""
    found = []
    for attr, forms in raw.items():
        token = first_token(names, forms)
        if token is not None:
            found.append((attr, token))
    return tuple(sorted(found))
