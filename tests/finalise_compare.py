"""Finalise releases again with this checkout and compare every row.

For a benchmark database whose releases another checkout wrote (main, say):
each named release is finalised again here, one after another in this one
process as a worker would (so later ones use kept results), and its rows
are compared table by table, every column but the ids; all rolled back.
With `--profile`, prints each finalise's time and cProfile's top instead.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/asyncdash_bench \\
    ASYNCDASH_DATA_DIR=... PYTHONPATH=. \\
    .venv/bin/python tests/finalise_compare.py 6.0 6.1 6.1.1 [--profile]
"""

import cProfile
import os
import pstats
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.config.settings")
django.setup()

from django.db import transaction  # noqa: E402

from tracker.models import (  # noqa: E402
    ComponentStat,
    FunctionStat,
    PairDrift,
    Project,
    Release,
    ReleaseFile,
    Scan,
    SuiteStat,
    TwinPairStat,
)
from tracker.scanning import steps  # noqa: E402
from tracker.scanning.mirrors import mirror_open  # noqa: E402

TABLES = (ReleaseFile, ComponentStat, FunctionStat, TwinPairStat, SuiteStat, PairDrift)


class _Rollback(Exception):
    pass


def release_rows(version: str) -> dict[str, list]:
    release = Release.objects.get(version=version)
    named = dict(Release.objects.values_list("pk", "version"))
    found = {
        model.__name__: sorted(
            (
                {
                    k: named.get(v) if k == "previous_id" else v
                    for k, v in row.items()
                    if k not in {"id", "release_id"}
                }
                for row in model.objects.filter(release=release).values()
            ),
            key=repr,
        )
        for model in TABLES
    }
    row = Release.objects.filter(pk=release.pk).values(
        "files", "parse_errors", "analyzer_version", "commit", "is_feature"
    )
    found["Release"] = [{**row.get(), "previous": named.get(release.previous_id)}]
    return found


def main(versions: list[str], profile: bool) -> None:
    project = Project.objects.get(slug="django")
    with mirror_open(project) as mirror:
        tags = {t.name: t for t in mirror.tags(project.release_tag_pattern)}
    try:
        with transaction.atomic():
            before = {v: release_rows(v) for v in versions}
            for version in versions:
                Scan.objects.filter(version=version).delete()
                scan = Scan.objects.create(
                    project=project,
                    version=version,
                    ref=version,
                    commit=tags[version].commit,
                    commit_date=tags[version].date,
                    status=Scan.Status.RUNNING,
                )
                scan = Scan.objects.select_related("project").get(pk=scan.pk)
                profiler = cProfile.Profile() if profile else None
                started, cpu = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                steps.scan_finalise(scan=scan)
                if profiler:
                    profiler.disable()
                print(
                    f"{version}: finalise {time.perf_counter() - started:.2f} s,"
                    f" {time.process_time() - cpu:.2f} s CPU"
                )
                if profiler:
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            for version in versions:
                after = release_rows(version)
                for table, rows in before[version].items():
                    same = "equal" if rows == after[table] else "DIFFERENT"
                    print(f"{version} {table}: {len(rows)} rows, {same}")
            raise _Rollback
    except _Rollback:
        pass


if __name__ == "__main__":
    args = sys.argv[1:]
    main([a for a in args if a != "--profile"], "--profile" in args)
