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

from django.db import connection, models, transaction

Row = Mapping[str, Any]  # column (a field's attname) -> value
_STAGING = "asyncdash_rows_staged"  # a temporary table, dropped at once


def rows_insert(
    model: type[models.Model], rows: Iterable[Row], *, ignore_conflicts: bool = False
) -> int:
    """Insert `rows`, each with the same columns; returns how many were given.

    `ignore_conflicts`: a row that breaks a unique constraint is left out, as
    `bulk_create(ignore_conflicts=True)` leaves it (on PostgreSQL the rows go
    to a temporary table first, then on with INSERT ... ON CONFLICT DO
    NOTHING).
    """
    rows = list(rows)
    if not rows:
        return 0
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"{model.__name__}: rows with different columns")
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            (model(**row) for row in rows),
            batch_size=1000,
            ignore_conflicts=ignore_conflicts,
        )
        return len(rows)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(column) for column in rows[0])
    if not ignore_conflicts:
        _copy(model, table, columns, rows)
        return len(rows)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_STAGING} AS"
            f" SELECT {columns} FROM {table} WITH NO DATA"
        )
        _copy(model, _STAGING, columns, rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {_STAGING}"
            " ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"DROP TABLE {_STAGING}")
    return len(rows)


def _copy(model: type[models.Model], table: str, columns: str, rows: list[Row]):
    """COPY the rows into `table`, in the columns (quoted) of the first row."""
    names = list(rows[0])
    convert = [_converter(model, name) for name in names]
    statement = f"COPY {table} ({columns}) FROM STDIN"
    # Django's own error classes, as for any query (a task retries on its
    # OperationalError), though COPY goes to the driver's cursor directly.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(
                [
                    None if (value := row[name]) is None else change(value)
                    for name, change in zip(names, convert, strict=True)
                ]
            )


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
