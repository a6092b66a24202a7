"""Identity of functions: defs of one name in the branches of an `if`."""

from __future__ import annotations

import dataclasses

from analyzers.records import FunctionRecord


def number_variants(records: list[FunctionRecord]) -> list[FunctionRecord]:
    """Defs of one qualname and asyncness (both branches of an `if`) become
    variants 0, 1, ... in source order, so identity keeps them apart."""
    seen: dict[tuple[str, bool], int] = {}
    numbered = []
    for record in records:
        key = (record.qualname, record.is_async)
        variant = seen.get(key, -1) + 1
        seen[key] = variant
        numbered.append(
            dataclasses.replace(record, variant=variant) if variant else record
        )
    return numbered
