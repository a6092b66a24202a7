"""The scan pipeline on the embedded default: SQLite, tasks run in-process."""

import signal
from datetime import date, timedelta
from importlib import import_module

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone
from repo_builder import add_commit, demo_project, git, make_repo

import analyzers.isolation
from analyzers import hostile
from analyzers.isolation import Limits
from tracker import versions
from tracker.models import (
    FileAnalysis,
    FunctionStat,
    PairDrift,
    Project,
    Release,
    Scan,
    TwinPairStat,
)
from tracker.scanning import beat, isolation, mirrors, requests, steps, weekly
from tracker.scanning.drift import previous_release
from tracker.sources import pypi

# Scans are queued on commit, as in production, so the tests commit too.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def project(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    repo = make_repo(tmp_path / "upstream")
    return demo_project(repo)


def scan(project, version, **kwargs):
    target = requests.Target(version=version, ref=version)
    return requests.scans_request(project=project, targets=[target], **kwargs)[0]


def test_a_scan_stores_the_release_and_its_functions(project):
    scan_ = scan(project, "1.0")
    scan_.refresh_from_db()
    assert scan_.status == Scan.Status.DONE, scan_.error
    release = Release.objects.get(project=project, version="1.0")
    assert scan_.release == release and len(release.commit) == 40
    assert release.files == 5  # pkg/*.py and tests/**.py, not docs/readme.txt
    aget_many = FunctionStat.objects.get(
        release=release, module="pkg.cache", qualname="BaseCache.aget_many"
    )
    assert (aget_many.kind, aget_many.reaches) == ("async-native", "thread")
    assert aget_many.chain == [
        "BaseCache.aget_many",
        "BaseCache.aget",
        "sync_to_async(get)",
    ]
    stages = dict(release.componentstat_set.values_list("name", "stage"))
    assert stages["cache"] == "async-wrapper"
    assert stages["auth"] == "async-native"
    assert release.suitestat_set.get(component="cache").async_tests_with_sync_twin == 1


def test_the_cache_is_reused_and_a_one_sided_change_is_found(project):
    first = scan(project, "1.0")
    second = scan(project, "1.1")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.blobs_total, first.blobs_analysed, first.blobs_cached) == (5, 5, 0)
    assert (second.blobs_total, second.blobs_analysed, second.blobs_cached) == (5, 1, 4)
    assert FileAnalysis.objects.count() == 6
    drift = PairDrift.objects.get(
        release__version="1.1", async_qualname="aauthenticate"
    )
    assert drift.previous.version == "1.0"
    assert (drift.sync_changed, drift.async_changed, drift.one_sided) == (
        True,
        False,
        True,
    )
    assert (
        not PairDrift.objects.filter(release__version="1.1", one_sided=False)
        .filter(async_qualname="aauthenticate")
        .exists()
    )
    unchanged = PairDrift.objects.get(
        release__version="1.1", async_qualname="BaseCache.aget"
    )
    assert not (
        unchanged.sync_changed or unchanged.async_changed or unchanged.one_sided
    )


def test_a_finished_scan_is_a_no_op_unless_forced(project):
    first = scan(project, "1.0")
    again = scan(project, "1.0")
    assert again.pk == first.pk
    forced = scan(project, "1.0", force=True)
    forced.refresh_from_db()
    assert forced.pk != first.pk and forced.status == Scan.Status.DONE
    assert Release.objects.filter(project=project, version="1.0").count() == 1
    assert forced.blobs_analysed == 0  # everything came from the cache


def test_scan_command_scans_every_release_in_version_order(project, capsys):
    call_command("scan", "--all", project="demo")
    out = capsys.readouterr().out
    assert "3/3 releases done" in out
    versions = list(
        Release.objects.filter(project=project).values_list("version", flat=True)
    )
    assert versions == ["1.0", "1.1", "1.2"]
    r12 = Release.objects.get(version="1.2")
    assert previous_release(r12).version == "1.1"
    assert r12.previous.version == "1.1"


def test_scan_command_off_a_terminal_says_each_step_on_a_line(project, capsys):
    """What it will analyse, a line per release as it ends, the total; no bar."""
    call_command("scan", "--all", project="demo")
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if not line.startswith("{")]

    scans = Scan.objects.filter(project=project)
    missing = sum(scan.blobs_total - scan.blobs_cached for scan in scans)
    assert lines[0] == f"scan: 3 releases, {missing} blobs to analyse"
    assert [line.split()[:2] for line in lines[1:4]] == [
        ["1.0", "done"],
        ["1.1", "done"],
        ["1.2", "done"],
    ]
    assert lines[4].startswith("3/3 releases done")
    assert not [char for char in out if ord(char) < 32 and char not in "\n\t"]


def test_scan_newest_scans_the_newest_feature_release(project, tmp_path):
    """`make run`'s first scan: 1.2, not the point release 1.2.1 after it."""
    upstream = tmp_path / "upstream"
    add_commit(upstream, {"pkg/fix.py": "x = 2\n"})
    git(upstream, "tag", "1.2.1")

    call_command("scan", "--newest", project="demo")

    assert list(Release.objects.values_list("version", flat=True)) == ["1.2"]


def test_weekly_scan_twice_in_a_week_scans_nothing_twice(project, tmp_path):
    add_commit(tmp_path / "upstream", {"pkg/new.py": "async def anew():\n    pass\n"})
    first = weekly.weekly_scan_request(project=project, today=date(2026, 11, 26))
    assert sorted(s.version for s in first) == ["1.0", "1.1", "1.2", "main-2026-11-23"]
    scans_before = Scan.objects.count()
    second = weekly.weekly_scan_request(project=project, today=date(2026, 11, 27))
    assert Scan.objects.count() == scans_before
    assert {s.pk for s in second} == {s.pk for s in first}
    snapshot = Release.objects.get(version="main-2026-11-23")
    assert snapshot.is_snapshot and snapshot.previous.version == "1.2"
    assert FunctionStat.objects.filter(release=snapshot, qualname="anew").exists()


def test_twin_pairs_are_stored_with_their_hashes(project):
    scan(project, "1.0")
    pair = TwinPairStat.objects.get(
        release__version="1.0", async_qualname="aauthenticate"
    )
    assert pair.relation == "derivable" and pair.sync_hash == pair.async_hash


def test_a_file_that_crashes_the_parser_is_a_parse_failure(tmp_path, settings):
    """libcst's native parser overflows its stack on this file (newer syntax,
    so `ast` cannot vet it): the scan records it, completes, and survives."""
    settings.DATA_DIR = tmp_path / "data"
    poison = "type X = " + "not " * 50_000 + "y\n"
    repo = make_repo(
        tmp_path / "poisoned",
        {
            "1.0": {
                "pkg/__init__.py": "",
                "pkg/poison.py": poison,
                "pkg/ok.py": "x = 1\n",
            }
        },
    )
    project = demo_project(repo, slug="poisoned")
    done = scan(project, "1.0")
    done.refresh_from_db()
    assert done.status == Scan.Status.DONE, done.error
    assert done.parse_failures == 1
    failed = done.release.releasefile_set.get(path="pkg/poison.py")
    assert "crashed (signal 11" in failed.parse_error
    assert not done.release.releasefile_set.get(path="pkg/ok.py").parse_error


def test_components_command_prints_the_stored_table(project, capsys):
    scan(project, "1.0")
    scan(project, "1.1")
    call_command("components", project="demo")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Demo 1.1 (")
    assert out[1].split()[:2] == ["component", "stage"]
    assert any(line.split()[:2] == ["cache", "async-wrapper"] for line in out)
    assert "since 1.0: 1 one-sided changes" in out
    assert "  pkg.auth.aauthenticate: only the sync twin changed" in out


def test_import_releases_builds_a_local_mirror_without_the_upstream(
    tmp_path, settings, django52_tree, capsys
):
    """The seeded Django row points at GitHub; importing from PyPI never asks it."""
    # Transactional tests flush the seeded row; seed it again as the migration does.
    import_module("tracker.migrations.0002_seed_django").seed(apps, None)
    settings.DATA_DIR = tmp_path / "data"
    version = django52_tree.name.split("-", 1)[1]
    call_command("import_releases", version)
    assert f"1 releases: 1 imported ({version})" in capsys.readouterr().out
    tags = mirrors.release_tags(project=Project.objects.get(slug="django"))
    assert [t.name for t in tags] == [version]


def test_releases_requested_together_share_their_analysis(project):
    """Each blob is analysed once, by the earliest release that holds it."""
    targets = [requests.Target(version=v, ref=v) for v in ("1.2", "1.0", "1.1")]
    scans = requests.scans_request(project=project, targets=targets)
    for scan_ in scans:
        scan_.refresh_from_db()
    by_version = {s.version: s for s in scans}
    assert all(s.status == Scan.Status.DONE for s in scans)
    assert [by_version[v].blobs_analysed for v in ("1.0", "1.1", "1.2")] == [5, 1, 1]
    assert FileAnalysis.objects.count() == 7


def test_finalise_waits_while_a_result_is_missing(project):
    """A finalise that runs before every batch is in (a redelivered batch is
    still running) writes nothing and leaves the scan to the last batch."""
    scan_ = Scan.objects.create(project=project, version="1.0", ref="1.0")
    (batch,) = steps.scans_prepare(scans=[scan_])
    scan_.refresh_from_db()
    steps.blobs_analyse(project=project, entries=batch[:-1])
    assert steps.scan_finalise(scan=scan_) is None
    assert not Release.objects.exists()
    steps.blobs_analyse(project=project, entries=batch[-1:])
    release = steps.scan_finalise(scan=scan_)
    assert release.version == "1.0" and release.files == 5
    assert steps.scan_finalise(scan=scan_) == release  # done: a no-op
    assert Release.objects.count() == 1


def test_weekly_refresh_of_a_pypi_mirror_asks_pypi_for_newer_releases(
    tmp_path, settings, django61_tree
):
    """A mirror built from sdists has no upstream: the refresh lists PyPI's
    releases and imports those newer than its newest tag (none, until a
    release newer than the newest 6.1.x exists)."""
    import_module("tracker.migrations.0002_seed_django").seed(apps, None)
    settings.DATA_DIR = tmp_path / "data"
    newest = django61_tree.name.split("-", 1)[1]  # the newest 6.1.x on PyPI
    call_command("import_releases", newest)
    django = Project.objects.get(slug="django")
    django.min_version = newest
    django.save()
    names = [t.name for t in weekly.releases_refresh(project=django)]
    newer = [
        v
        for v in pypi.pypi_versions("django")
        if versions.sort_key(v) > versions.sort_key(newest)
    ]
    assert names == [newest, *newer]


def test_a_scan_stalled_by_a_lost_batch_is_dispatched_again_and_finishes(
    project, settings
):
    """A batch's task message was lost: the scan stays running past the
    stalled-scan age, beat's look dispatches it again, and the release is
    written once. A scan running for less long is left alone."""
    settings.ASYNCDASH_STALLED_SCAN_AFTER = 3600
    stalled = Scan.objects.create(project=project, version="1.0", ref="1.0")
    (batch,) = steps.scans_prepare(scans=[stalled])
    steps.blobs_analyse(project=project, entries=batch[:-1])  # one lost
    long_ago = timezone.now() - timedelta(hours=2)
    Scan.objects.filter(pk=stalled.pk).update(started_at=long_ago)
    recent = Scan.objects.create(
        project=project, version="1.1", ref="1.1", status=Scan.Status.RUNNING,
        started_at=timezone.now(),
    )  # fmt: skip

    assert beat.scans_resume_stalled.delay().get() == 1

    stalled.refresh_from_db()
    assert stalled.status == Scan.Status.DONE, stalled.error
    assert Release.objects.filter(project=project, version="1.0").count() == 1
    recent.refresh_from_db()
    assert recent.status == Scan.Status.RUNNING


def test_a_soft_time_limit_ends_the_batch_and_records_no_file(tmp_path, settings):
    """The task's soft time limit (SIGUSR1 on a worker; SIGALRM here) lands
    while the child analyses: the batch stops, the child is ended, and
    nothing is cached, not even for the files done before."""
    settings.ASYNCDASH_FILE_LIMITS = Limits(seconds=30)
    files = {"pkg/a.py": "x = 1\n", "pkg/slow.py": hostile.match_nesting(26).decode()}
    slow = demo_project(make_repo(tmp_path / "slow", {"1.0": files}), slug="slow")
    started = Scan.objects.create(project=slow, version="1.0", ref="1.0")
    (batch,) = steps.scans_prepare(scans=[started])

    def soft_time_limit(signum, frame):
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, soft_time_limit)
    signal.alarm(3)
    try:
        with pytest.raises(SoftTimeLimitExceeded):
            steps.blobs_analyse(project=slow, entries=batch)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert not FileAnalysis.objects.exists()
    with isolation.file_analyser() as analyser:
        assert analyser._child is None  # ended, not left running


def test_a_batch_out_of_time_returns_the_rest_for_another_task(project):
    """With no time left it still analyses one file (it must get on), stores
    it and returns the others."""
    started = Scan.objects.create(project=project, version="1.0", ref="1.0")
    (batch,) = steps.scans_prepare(scans=[started])

    left = steps.blobs_analyse(project=project, entries=batch, seconds=0)

    assert FileAnalysis.objects.count() == 1
    assert len(left) == len(batch) - 1
    assert steps.blobs_analyse(project=project, entries=left) == []
    assert FileAnalysis.objects.count() == len(batch)


def test_a_batch_task_out_of_time_is_replaced_and_the_scan_is_done(project, settings):
    """In-process too: each task analyses one file, then a task in its place
    takes the rest, until the batch is done and the release written."""
    settings.CELERY_TASK_SOFT_TIME_LIMIT = settings.ASYNCDASH_BATCH_STORE_SECONDS
    done = scan(project, "1.0")
    done.refresh_from_db()
    assert done.status == Scan.Status.DONE, done.error
    assert done.blobs_analysed == done.blobs_total > 1


def test_a_file_over_the_byte_limit_is_too_large_to_analyse(
    tmp_path, settings, monkeypatch
):
    """It is recorded as that file's parse failure and never sent to the
    analyser; the rest of the release is analysed."""
    settings.DATA_DIR = tmp_path / "data"
    settings.ASYNCDASH_FILE_LIMITS = Limits(max_file_bytes=4096)
    huge = "".join(f"async def a{i}():\n    return {i}\n" for i in range(200))
    repo = make_repo(
        tmp_path / "huge",
        {"1.0": {"pkg/__init__.py": "", "pkg/huge.py": huge, "pkg/ok.py": "x = 1\n"}},
    )
    project = demo_project(repo, slug="huge")
    sent = []
    ask = analyzers.isolation._Child.ask

    def spy(child, source, **request):
        sent.append(request["path"])
        return ask(child, source, **request)

    monkeypatch.setattr(analyzers.isolation._Child, "ask", spy)

    done = scan(project, "1.0")
    done.refresh_from_db()

    assert len(huge.encode()) > 4096
    assert done.status == Scan.Status.DONE, done.error
    assert done.parse_failures == 1
    failed = done.release.releasefile_set.get(path="pkg/huge.py")
    assert failed.parse_error == (
        f"not analysed: too large ({len(huge.encode())} bytes; the limit is 4096)"
    )
    assert sorted(sent) == ["pkg/__init__.py", "pkg/ok.py"]
