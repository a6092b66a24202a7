"""`rows_insert` stores what `bulk_create` stores: COPY on PostgreSQL, else
`bulk_create` itself."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection
from django.forms.models import model_to_dict

from analyzers.records import Kind, Reach
from tracker.models import FileAnalysis, FunctionStat, Project, Release
from tracker.scanning.bulk import rows_insert

ROWS = [
    dict(
        module="django.core.cache.backends.base",
        qualname="BaseCache.aget_many",
        path="django/core/cache/backends/base.py",
        component="cache",
        kind=Kind.ASYNC_NATIVE,
        is_async=True,
        public=True,
        reaches=Reach.THREAD,
        twin="get_many",
        first_line=10,
        last_line=20,
        loc=9,
        variant=0,
        closure=False,
        thread_hops=2,
        hops_fewest=1,
        hops_most=2,
        unknown_calls=["self._backend.aget"],
        passes_through=[],
        concurrent=True,
        missing_twin=False,
        blocking=["open"],
        hops=["sync_to_async(get)"],
        hops_by_name=[],
        chain=["a.b", "c.d"],
        steps=[{"target": "c.d", "resolution": "type", "candidates": ["e"]}],
        call_steps={"type": 3, "name": 1},
    ),
    dict(
        module="m",
        qualname="f\tg\\n",  # COPY's own separators and escapes, as data
        path="m.py",
        component="other",
        kind=Kind.SYNC,
        is_async=False,
        public=False,
        reaches="",
        twin="",
        first_line=1,
        last_line=1,
        loc=1,
        variant=1,
        closure=True,
        thread_hops=0,
        hops_fewest=0,
        hops_most=0,
        unknown_calls=['quote " and \u2028 and \\N'],
        passes_through=[],
        concurrent=False,
        missing_twin=True,
        blocking=[],
        hops=[],
        hops_by_name=[],
        chain=[],
        steps=[],
        call_steps={},
    ),
]


def _release(version: str) -> Release:
    return Release.objects.create(
        project=Project.objects.get(slug="django"),
        version=version,
        tag=version,
        commit="0" * 40,
        date=datetime(2026, 1, 1, tzinfo=UTC),
        is_feature=True,
    )


def _stored(release: Release) -> list[dict]:
    rows = []
    for function in FunctionStat.objects.filter(release=release).order_by("pk"):
        row = model_to_dict(function)
        row.pop("id")
        row.pop("release")
        rows.append(row)
    return rows


@pytest.mark.django_db
def test_rows_insert_stores_what_bulk_create_stores():
    """Same values read back, whichever way this database writes them
    (the services run covers COPY, the embedded one bulk_create)."""
    by_orm, by_rows = _release("1.0"), _release("2.0")
    FunctionStat.objects.bulk_create(
        FunctionStat(release=by_orm, **row) for row in ROWS
    )
    written = rows_insert(
        FunctionStat, (dict(release_id=by_rows.pk, **row) for row in ROWS)
    )
    assert written == 2
    assert _stored(by_rows) == _stored(by_orm)
    assert _stored(by_rows)[1]["qualname"] == "f\tg\\n"


@pytest.mark.django_db
def test_rows_with_different_columns_are_refused():
    release = _release("1.0")
    first = dict(release_id=release.pk, **ROWS[0])
    second = dict(release_id=release.pk, **ROWS[1])
    second.pop("steps")
    with pytest.raises(ValueError, match="different columns"):
        rows_insert(FunctionStat, [first, second])


@pytest.mark.services
@pytest.mark.django_db
@pytest.mark.usefixtures("real_services")
def test_on_postgresql_rows_go_through_copy(django_assert_num_queries):
    """One COPY statement, not INSERTs: the point of the module."""
    assert connection.vendor == "postgresql"
    release = _release("1.0")
    with django_assert_num_queries(0):  # COPY runs outside Django's execute
        rows_insert(FunctionStat, (dict(release_id=release.pk, **r) for r in ROWS))
    assert FunctionStat.objects.filter(release=release).count() == 2


@pytest.mark.django_db
def test_ignore_conflicts_leaves_out_rows_already_there_and_keeps_the_rest():
    """A blob analysed twice (a redelivered batch) keeps its first result."""
    first = dict(
        blob_sha="a" * 40,
        path="pkg/a.py",
        analyzer_version="v",
        result={"module": "pkg.a", "path": "pkg/a.py", "first": True},
        parse_error="",
    )
    again = {**first, "result": {"module": "pkg.a", "path": "pkg/a.py"}}
    other = {**first, "blob_sha": "b" * 40}
    rows_insert(FileAnalysis, [first])
    rows_insert(FileAnalysis, [again, other], ignore_conflicts=True)
    rows_insert(FileAnalysis, [again], ignore_conflicts=True)  # staging reusable
    stored = dict(FileAnalysis.objects.values_list("blob_sha", "result"))
    assert stored == {"a" * 40: first["result"], "b" * 40: other["result"]}
    with pytest.raises(IntegrityError):
        rows_insert(FileAnalysis, [again])
