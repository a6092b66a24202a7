"""Scans under concurrency on real services: overlapping finalises, failures
that exhaust their retries. PostgreSQL, Redis and worker processes."""

import threading
import time

import psycopg
import pytest
from django.db import connection, connections
from repo_builder import RELEASES, demo_project, make_repo
from services import database_url, request, wait_done

from tracker.models import FunctionStat, PairDrift, Release, Scan
from tracker.scanning import drift, requests, steps, tasks, weekly
from tracker.scanning.mirrors import mirror_open

RELEASE_1_0 = RELEASES["1.0"]

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_services"),
]


def waiting_on_a_lock(pids: set[int]) -> set[int]:
    """The backends among `pids` that are waiting for a lock right now."""
    with psycopg.connect(database_url(), autocommit=True) as watcher:
        found = watcher.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE pid = ANY(%s) AND wait_event_type = 'Lock'",
            [list(pids)],
        ).fetchall()
    return {pid for (pid,) in found}


def until(condition, *, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def test_overlapping_finalises_link_each_release_to_its_previous(
    tmp_path, data_dir, monkeypatch
):
    """Two finalises in flight at once: each records its drift, then commits
    only once the other has recorded its own too, or is waiting for a lock
    the first one holds. Either way 1.1 follows 1.0 and its one-sided change
    is found."""
    project = demo_project(make_repo(tmp_path / "upstream"))
    scans = [
        Scan.objects.create(project=project, version=v, ref=v) for v in ("1.0", "1.1")
    ]
    for batch in steps.scans_prepare(scans=scans):
        steps.blobs_analyse(project=project, entries=batch)
    for scan in scans:
        scan.refresh_from_db()

    backends: dict[str, int] = {}
    recorded: set[str] = set()
    real_drift_update = drift.release_drift_update

    def drift_update_then_meet(*, release):
        real_drift_update(release=release)
        recorded.add(release.version)
        other = next(v for v in backends if v != release.version)
        until(
            lambda: other in recorded or waiting_on_a_lock({backends[other]}),
            what=f"{other} recorded or waiting, seen from {release.version}",
        )

    monkeypatch.setattr(drift, "release_drift_update", drift_update_then_meet)
    errors: list[BaseException] = []
    ready = threading.Barrier(2)

    def finalise(scan: Scan) -> None:
        try:
            connection.ensure_connection()
            backends[scan.version] = connection.connection.info.backend_pid
            ready.wait(timeout=30)
            steps.scan_finalise(scan=scan)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=finalise, args=(s,)) for s in scans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    r10 = Release.objects.get(project=project, version="1.0")
    r11 = Release.objects.get(project=project, version="1.1")
    assert r10.previous is None
    assert r11.previous == r10
    one_sided = PairDrift.objects.get(release=r11, one_sided=True)
    assert one_sided.async_qualname == "aauthenticate"
    assert one_sided.previous == r10


def test_finalises_released_together_on_a_worker_agree_on_previous_releases(
    tmp_path, start_worker
):
    """A worker of two processes finalises 1.0, 1.1 and 1.2 side by side: the
    test holds the drift table until both finalises in flight wait on it,
    then lets them race. The links and drift match a one-at-a-time scan."""
    project = demo_project(make_repo(tmp_path / "upstream"))
    start_worker()
    with psycopg.connect(database_url()) as gate:
        gate.execute("LOCK TABLE tracker_pairdrift IN SHARE MODE")
        gate_pid = gate.info.backend_pid
        targets = [requests.Target(version=v, ref=v) for v in ("1.0", "1.1", "1.2")]
        scans = requests.scans_request(project=project, targets=targets)

        def two_waiting() -> bool:
            with psycopg.connect(database_url(), autocommit=True) as watcher:
                (count,) = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname ="
                    " current_database() AND wait_event_type = 'Lock' AND pid <> %s",
                    [gate_pid],
                ).fetchone()
            return count >= 2

        until(two_waiting, what="two finalises waiting on the drift table")
        gate.rollback()  # both go at once
    for scan in scans:
        assert wait_done(scan).status == Scan.Status.DONE, scan.error

    previous = dict(
        Release.objects.filter(project=project).values_list(
            "version", "previous__version"
        )
    )
    assert previous == {"1.0": None, "1.1": "1.0", "1.2": "1.1"}
    one_sided = PairDrift.objects.filter(one_sided=True)
    assert list(one_sided.values_list("release__version", "async_qualname")) == [
        ("1.1", "aauthenticate")
    ]
    assert PairDrift.objects.filter(release__version="1.2").count() == (
        PairDrift.objects.filter(release__version="1.1").count()
    )


def test_a_git_failure_is_retried_then_fails_the_scan_on_a_worker(
    tmp_path, data_dir, start_worker
):
    """The mirror lost its objects: listing the release fails on every try.
    The worker retries it, then gives up, and the scan ends failed with the
    git error, so a later request starts a new scan instead of joining."""
    project = demo_project(make_repo(tmp_path / "upstream"))
    with mirror_open(project) as mirror:
        objects = mirror.path / "objects"
    for path in objects.rglob("*"):
        if path.is_file() and path.parent.name not in {"info"}:
            path.unlink()
    start_worker()

    scan = wait_done(request(project, "1.0"))

    assert scan.status == Scan.Status.FAILED
    assert "GitUnavailableError" in scan.error and "missing object" in scan.error
    log = (tmp_path / "worker.log").read_text()
    retries = [
        line
        for line in log.splitlines()
        if "scan_releases[" in line and "retry:" in line
    ]
    assert len(retries) == tasks.RETRY["max_retries"]
    again = request(project, "1.0")
    assert again.pk != scan.pk


def test_two_weekly_beats_at_once_make_one_scan_per_release(
    tmp_path, start_worker, monkeypatch
):
    """Beat B finds 1.0 not scanned, then is held until beat A's scan of 1.0
    has finished on the worker, or until A waits for a lock B holds. Either
    way B must not start a second scan of 1.0."""
    project = demo_project(make_repo(tmp_path / "upstream", {"1.0": RELEASE_1_0}))
    start_worker()
    backends: dict[str, int] = {}
    real_done_scan = requests._done_scan
    a_finished = threading.Event()

    def done_scan_then_wait(project_, version):
        found = real_done_scan(project_, version)
        beat_b = threading.current_thread().name == "beat-b"
        if beat_b and version == "1.0" and not a_finished.is_set():
            until(
                lambda: (
                    a_finished.is_set()
                    or ("a" in backends and waiting_on_a_lock({backends["a"]}))
                ),
                what="beat A finished or waiting for beat B",
            )
        return found

    monkeypatch.setattr(requests, "_done_scan", done_scan_then_wait)
    found: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def beat(name: str) -> None:
        try:
            connection.ensure_connection()
            backends[name] = connection.connection.info.backend_pid
            scans = weekly.weekly_scan_request(project=project)
            found[name] = [s.pk for s in scans if s.version == "1.0"]
            if name == "a":
                wait_done(Scan.objects.get(pk=found[name][0]))
                a_finished.set()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            a_finished.set()
        finally:
            connections.close_all()

    b = threading.Thread(target=beat, args=("b",), name="beat-b")
    b.start()
    until(lambda: "b" in backends, what="beat B started")
    a = threading.Thread(target=beat, args=("a",), name="beat-a")
    a.start()
    for thread in (a, b):
        thread.join(timeout=180)
    assert not errors, errors

    assert Scan.objects.filter(project=project, version="1.0").count() == 1
    assert found["a"] == found["b"]
    versions = list(Scan.objects.filter(project=project).values_list("version"))
    assert len(versions) == len(set(versions)) == 2  # 1.0 and this week's main


def test_a_connection_dropped_during_finalise_is_retried_and_completes(
    tmp_path, start_worker
):
    """The worker's database session is terminated while finalise is inside
    its transaction: nothing of the release is visible, then the retry
    writes it once."""
    project = demo_project(make_repo(tmp_path / "upstream", {"1.0": RELEASE_1_0}))
    start_worker()
    with psycopg.connect(database_url()) as gate:
        gate.execute("LOCK TABLE tracker_pairdrift IN SHARE MODE")
        gate_pid = gate.info.backend_pid
        scan = request(project, "1.0")

        def finalise_waiting() -> set[int]:
            with psycopg.connect(database_url(), autocommit=True) as watcher:
                rows_ = watcher.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname ="
                    " current_database() AND wait_event_type = 'Lock' AND pid <> %s",
                    [gate_pid],
                ).fetchall()
            return {pid for (pid,) in rows_}

        until(finalise_waiting, what="finalise waiting on the drift table")
        (victim,) = finalise_waiting()
        with psycopg.connect(database_url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [victim])
        until(lambda: victim not in finalise_waiting(), what="the session ended")
        assert not Release.objects.filter(project=project).exists()
        assert not FunctionStat.objects.exists()
        gate.rollback()

    scan = wait_done(scan)
    assert scan.status == Scan.Status.DONE, scan.error
    assert Release.objects.filter(project=project).count() == 1
    assert scan.release.releasefile_set.count() == len(
        [p for p in RELEASE_1_0 if p.endswith(".py")]
    )
