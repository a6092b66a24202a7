"""Many rows into one table at once: PostgreSQL's COPY, else `bulk_create`.

`bulk_create` builds a model instance per row and prepares every value
through its field: for one release's 10,000 functions, 290,000 values and
two thirds of the time of writing a release. On PostgreSQL the rows go
through COPY instead, the values as they are (JSON columns as JSON text);
elsewhere (SQLite, the embedded mode) through `bulk_create`. Both store the
same values: `tests/tracker/test_bulk.py` writes rows both ways.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import connection, models

Row = Mapping[str, Any]  # column (a field's attname) -> value


def rows_insert(model: type[models.Model], rows: Iterable[Row]) -> int:
    """Insert `rows`, each with the same columns; returns how many."""
    rows = list(rows)
    if not rows:
        return 0
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"{model.__name__}: rows with different columns")
    if connection.vendor != "postgresql":
        model.objects.bulk_create((model(**row) for row in rows), batch_size=1000)
        return len(rows)
    columns = list(rows[0])
    convert = [_converter(model, column) for column in columns]
    quote = connection.ops.quote_name
    statement = "COPY {} ({}) FROM STDIN".format(
        quote(model._meta.db_table), ", ".join(quote(column) for column in columns)
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    None if (value := row[column]) is None else change(value)
                    for column, change in zip(columns, convert, strict=True)
                ]
            )
    return len(rows)


def _converter(model: type[models.Model], column: str) -> Callable[[Any], Any]:
    field = next(f for f in model._meta.concrete_fields if f.attname == column)
    if isinstance(field, models.JSONField):
        return json.dumps
    if isinstance(field, (models.CharField, models.TextField)):
        return _text
    return _same


def _text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is no text")
    return value


def _same(value: Any) -> Any:
    return value
