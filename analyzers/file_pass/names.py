"""Module names, publicness, line counts and import resolution shared by both paths."""

from __future__ import annotations

import io
import tokenize
from pathlib import PurePosixPath

import libcst as cst


def module_name(relpath: str) -> str:
    """`django/core/cache/__init__.py` -> `django.core.cache`."""
    parts = list(PurePosixPath(relpath).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: str) -> bool:
    return PurePosixPath(path).name == "__init__.py"


def resolve_relative(module: str, *, package: bool, level: int, name: str) -> str:
    """The absolute module named by `from <level dots><name> import ...`."""
    if level == 0:
        return name
    parts = module.split(".") if module else []
    # A package's own module is its first level; a plain module's is its parent.
    keep = len(parts) - (level - 1 if package else level)
    base = parts[: max(keep, 0)]
    return ".".join([*base, name] if name else base)


def is_public(qualname: str) -> bool:
    """No part below the module is private, and it is not defined inside a
    function (a closure is no API, whatever its outer function is).

    Dunder names (`__acall__`) are public; name-mangled ones (`__x`) are not.
    """
    return "<locals>" not in qualname and all(
        not part.startswith("_") or (part.startswith("__") and part.endswith("__"))
        for part in qualname.split(".")
    )


def decode_source(source: bytes) -> str:
    """Decode as Python does: BOM or encoding cookie, else UTF-8."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    return source.decode(encoding)


def source_lines(text: str) -> list[str]:
    """The lines as the parser counts them: only \n, \r\n and \r end one
    (str.splitlines knows more: form feeds, U+2028)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def code_lines(text: str) -> list[bool]:
    """Per line (1-based at index 1): does it hold code (not blank, not comment)."""
    flags = [False]
    for line in source_lines(text):
        stripped = line.strip()
        flags.append(bool(stripped) and not stripped.startswith("#"))
    return flags


def count_loc(flags: list[bool], first: int, last: int) -> int:
    return sum(flags[first : last + 1])


def cst_dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` as libcst nodes -> "a.b.c"; anything else -> None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


HEADER_LINES = 30


def header_comments(text: str) -> str:
    """The comment lines among a file's first lines, lower case (where
    generators say "auto-generated ... DO NOT EDIT")."""
    lines = text.split("\n", HEADER_LINES)[:HEADER_LINES]
    return "\n".join(line.lower() for line in lines if line.lstrip().startswith("#"))
