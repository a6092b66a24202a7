"""The scan pipeline on real services: PostgreSQL, Redis and Celery workers
started as separate processes. `make test` runs this module with
DATABASE_URL and REDIS_URL set; elsewhere it skips, saying what it needs."""

import signal
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from repo_builder import demo_project, make_repo, many_files
from services import request, wait_done

from tracker.config.celery import app as celery_app
from tracker.management.commands import scan as scan_command
from tracker.models import (
    ComponentStat,
    FileAnalysis,
    FunctionStat,
    PairDrift,
    Release,
    ReleaseFile,
    Scan,
    TwinPairStat,
)
from tracker.scanning import drift, steps, tasks

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_services"),
]


def test_scans_on_a_worker_reuse_the_cache_and_find_a_one_sided_change(
    tmp_path, start_worker
):
    start_worker()
    project = demo_project(make_repo(tmp_path / "upstream"))
    first = wait_done(request(project, "1.0"))
    second = wait_done(request(project, "1.1"))
    third = wait_done(request(project, "1.2"))
    assert [s.status for s in (first, second, third)] == ["done"] * 3, second.error

    assert (first.blobs_total, first.blobs_analysed, first.blobs_cached) == (5, 5, 0)
    assert (second.blobs_total, second.blobs_analysed, second.blobs_cached) == (5, 1, 4)
    assert (third.blobs_total, third.blobs_analysed, third.blobs_cached) == (6, 1, 5)
    assert FileAnalysis.objects.count() == 7

    release = Release.objects.get(project=project, version="1.0")
    aget_many = FunctionStat.objects.get(
        release=release, qualname="BaseCache.aget_many"
    )
    assert (aget_many.kind, aget_many.reaches) == ("async-native", "thread")
    stages = dict(release.componentstat_set.values_list("name", "stage"))
    assert (stages["cache"], stages["auth"]) == ("async-wrapper", "async-native")

    one_sided = PairDrift.objects.get(release__version="1.1", one_sided=True)
    assert (one_sided.async_qualname, one_sided.previous.version) == (
        "aauthenticate",
        "1.0",
    )
    assert (one_sided.sync_changed, one_sided.async_changed) == (True, False)
    assert not PairDrift.objects.filter(release__version="1.2", one_sided=True).exists()


def test_a_worker_killed_mid_scan_leaves_no_partial_release(tmp_path, start_worker):
    """SIGKILL the worker while it analyses; the re-run writes one release."""
    files = {"pkg/__init__.py": "", **many_files(1500)}
    project = demo_project(make_repo(tmp_path / "big", {"1.0": files}))
    worker = start_worker()
    scan = request(project, "1.0")
    deadline = time.monotonic() + 60
    while not FileAnalysis.objects.exists():
        assert time.monotonic() < deadline, "the worker never started analysing"
        time.sleep(0.02)
    worker.kill(signal.SIGKILL)
    scan.refresh_from_db()
    assert scan.status in Scan.ACTIVE, "the scan finished before the kill"
    assert 0 < FileAnalysis.objects.count() < len(files)
    assert not Release.objects.filter(project=project).exists()
    assert not FunctionStat.objects.exists() and not ReleaseFile.objects.exists()

    start_worker()
    call_command("scan", "--release", "1.0", project=project.slug)  # the re-run
    scan = wait_done(scan)
    assert scan.status == Scan.Status.DONE, scan.error
    release = Release.objects.get(project=project, version="1.0")
    assert Release.objects.filter(project=project).count() == 1
    assert release.releasefile_set.count() == len(files)
    assert FunctionStat.objects.filter(release=release).count() == 4 * 1500
    assert TwinPairStat.objects.filter(release=release).count() == 2 * 1500
    assert Scan.objects.filter(project=project, status=Scan.Status.DONE).count() == 1


def test_two_simultaneous_requests_make_one_scan(tmp_path, data_dir):
    project = demo_project(make_repo(tmp_path / "upstream"))
    barrier = threading.Barrier(2)
    found: list[int] = []

    def ask() -> None:
        try:
            barrier.wait()
            found.append(request(project, "1.0").pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(found) == 2 and found[0] == found[1]
    assert Scan.objects.filter(project=project, version="1.0").count() == 1


def test_an_exception_in_finalise_leaves_nothing_of_the_release(
    tmp_path, data_dir, monkeypatch
):
    project = demo_project(make_repo(tmp_path / "upstream"))
    scan = Scan.objects.create(project=project, version="1.0", ref="1.0")
    for batch in steps.scans_prepare(scans=[scan]):
        steps.blobs_analyse(project=project, entries=batch)

    def explode(*, release):
        assert FunctionStat.objects.filter(release=release).exists()  # half-written
        raise RuntimeError("disk full")

    monkeypatch.setattr(drift, "release_drift_update", explode)
    outcome = tasks.finalise_scan.apply(args=[scan.pk])
    assert outcome.failed() and isinstance(outcome.result, RuntimeError)
    scan.refresh_from_db()
    assert scan.status == Scan.Status.FAILED and "disk full" in scan.error
    assert not Release.objects.filter(project=project).exists()
    assert not FunctionStat.objects.exists()
    assert not ComponentStat.objects.exists()
    assert not TwinPairStat.objects.exists()


def test_a_poison_file_fails_alone_and_the_worker_survives(tmp_path, start_worker):
    poison = "type X = " + "not " * 50_000 + "y\n"
    repo = make_repo(
        tmp_path / "poisoned",
        {"1.0": {"pkg/__init__.py": "", "pkg/poison.py": poison, "pkg/ok.py": "x=1\n"}},
    )
    project = demo_project(repo)
    worker = start_worker()
    scan = wait_done(request(project, "1.0"))
    assert scan.status == Scan.Status.DONE, scan.error
    assert scan.parse_failures == 1
    assert (
        "crashed" in scan.release.releasefile_set.get(path="pkg/poison.py").parse_error
    )
    assert worker.alive()
    assert celery_app.control.ping(destination=[worker.name], timeout=2)


def test_the_scan_command_on_a_release_named_twice_ends(
    tmp_path, start_worker, monkeypatch, capsys
):
    """With a worker, `scan --release 1.0 --release 1.0` polled for ever for
    a second scan that was the first; now it is one scan, and it ends."""
    start_worker()
    project = demo_project(make_repo(tmp_path / "upstream"))
    deadline = time.monotonic() + 90
    real_sleep = time.sleep

    def sleep(seconds):
        assert time.monotonic() < deadline, "the scan command still waits"
        real_sleep(seconds)

    monkeypatch.setattr(scan_command.time, "sleep", sleep)

    call_command("scan", "--release", "1.0", "--release", "1.0", project=project.slug)

    (scan,) = Scan.objects.filter(project=project)
    assert scan.status == Scan.Status.DONE, scan.error
    assert "1/1 releases done" in capsys.readouterr().out


def test_a_nul_byte_in_a_command_argument_is_one_line_on_postgresql(tmp_path):
    """PostgreSQL refuses NUL in text with a ValueError of psycopg's."""
    project = demo_project(make_repo(tmp_path / "upstream"))
    for args in (["--release", "1.0\x00"], ["--release", "1.0", "--project", "\x00"]):
        with pytest.raises(CommandError) as raised:
            call_command(
                "scan",
                *args,
                **({} if "--project" in args else {"project": project.slug}),
            )
        assert "\n" not in str(raised.value)
    assert not Scan.objects.exists()
