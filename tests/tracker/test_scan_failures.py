"""Scans that go wrong end `failed`, with their error, and commands say so
in one line: the embedded default (SQLite, tasks in-process)."""

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone
from repo_builder import demo_project, git, make_repo

from tracker.management.commands import scan as scan_command
from tracker.models import Release, Scan
from tracker.scanning import requests, steps, tasks, weekly
from tracker.scanning.mirrors import mirror_open

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def project(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    return demo_project(make_repo(tmp_path / "upstream"))


@pytest.fixture
def never_poll(monkeypatch):
    """The embedded scan command must not wait for anything: it ran it all."""

    def sleep(seconds):
        raise AssertionError("the scan command polls for scans that cannot finish")

    monkeypatch.setattr(scan_command.time, "sleep", sleep)


def mirror_path(project) -> Path:
    with mirror_open(project) as mirror:
        return mirror.path


def object_file(mirror: Path, sha: str) -> Path:
    return mirror / "objects" / sha[:2] / sha[2:]


def test_a_transient_error_that_outlasts_its_retries_fails_the_scan(
    project, monkeypatch
):
    """The database drops out on every try: the scan ends failed with the
    error instead of staying `running` for later requests to join."""

    def unavailable(**kwargs):
        tries.append(1)
        raise OperationalError("server closed the connection unexpectedly")

    tries = []
    monkeypatch.setattr(steps, "scans_prepare", unavailable)
    target = requests.Target(version="1.0", ref="1.0")
    (scan,) = requests.scans_request(project=project, targets=[target])
    scan.refresh_from_db()
    assert scan.status == Scan.Status.FAILED
    assert "server closed the connection" in scan.error
    assert scan.finished_at is not None
    assert len(tries) == 1 + tasks.RETRY["max_retries"]


def test_scan_command_fails_with_the_error_when_a_blob_is_missing(
    project, tmp_path, never_poll, capsys
):
    """A damaged object store: one blob of 1.0 is gone from the mirror."""
    mirror = mirror_path(project)
    blob = git(tmp_path / "upstream", "rev-parse", "1.0:pkg/db.py")
    object_file(mirror, blob).unlink()

    with pytest.raises(CommandError, match="some scans failed"):
        call_command("scan", "--release", "1.0", project=project.slug)
    scan = Scan.objects.get(project=project, version="1.0")
    assert scan.status == Scan.Status.FAILED
    assert blob in scan.error and "GitDamagedError" in scan.error
    assert "error: scan_releases: GitDamagedError" in capsys.readouterr().out
    assert not Release.objects.exists()


def test_scan_command_names_the_release_when_the_mirror_lost_its_objects(
    project, never_poll
):
    mirror = mirror_path(project)
    for folder in (mirror / "objects").iterdir():
        if folder.name not in {"info", "pack"}:
            for path in folder.iterdir():
                path.unlink()
    for pack in (mirror / "objects" / "pack").iterdir():
        pack.unlink()

    with pytest.raises(CommandError, match=r"^cannot scan 1\.0: .*git") as raised:
        call_command("scan", "--release", "1.0", project=project.slug)
    assert "\n" not in str(raised.value)


def test_scan_since_a_non_version_is_refused(project):
    with pytest.raises(CommandError, match="--since: 'abc' is not a release version"):
        call_command("scan", "--since", "abc", project=project.slug)
    assert not Scan.objects.exists()


def test_components_of_an_empty_release_name_is_refused(project):
    requests.scans_request(
        project=project, targets=[requests.Target(version="1.0", ref="1.0")]
    )
    with pytest.raises(CommandError, match="--release: '' is not a release version"):
        call_command("components", "--release", "", project=project.slug)


def test_the_weekly_job_fails_over_a_dead_scan(project):
    """A scan whose worker died long ago is marked failed, and the week's
    request scans that release afresh instead of joining the dead row."""
    dead = Scan.objects.create(
        project=project, version="1.0", ref="1.0", status=Scan.Status.RUNNING
    )
    long_ago = timezone.now() - timezone.timedelta(days=1)
    Scan.objects.filter(pk=dead.pk).update(created_at=long_ago)

    scans = weekly.weekly_scan_request(project=project)

    dead.refresh_from_db()
    assert dead.status == Scan.Status.FAILED and "abandoned" in dead.error
    fresh = next(s for s in scans if s.version == "1.0")
    fresh.refresh_from_db()
    assert fresh.pk != dead.pk and fresh.status == Scan.Status.DONE


def test_a_release_named_twice_is_scanned_once_and_the_command_ends(
    project, never_poll, capsys
):
    """`scan --release 1.0 --release 1.0` waited for ever for a second scan."""
    call_command("scan", "--release", "1.0", "--release", "1.0", project=project.slug)

    assert Scan.objects.filter(project=project, version="1.0").count() == 1
    assert "1/1 releases done" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--release", "1" * 5000], r"^--release: '1111.*\.\.\. is not a release"),
        (["--since", "1." + "9" * 5000], r"^--since: '1\.999.*\.\.\. is not a release"),
        (["--release", "1.0", "--project", "x\x00y"], r"^--project: 'x\\x00y' is not"),
        (["--release", "1.0", "--project", "p" * 5000], r"^--project: 'ppp.* is not"),
        (["--release", "9.9"], r"^not in the mirror: 9\.9 \(import_releases"),
        (["--release", "main-2026-01-05"], r"^--release: 'main-2026-01-05' is not"),
        (["--since", ""], r"^--since: '' is not a release version"),
    ],
)
def test_a_bad_scan_argument_is_one_line_and_scans_nothing(project, args, message):
    if "--project" not in args:
        args = [*args, "--project", project.slug]
    with pytest.raises(CommandError, match=message) as raised:
        call_command("scan", *args)
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 200
    assert not Scan.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--release", "1" * 5000], r"^--release: '1111.*\.\.\. is not a release"),
        (["--release", "main-\x00"], r"^--release: 'main-\\x00' is not a release"),
        (["--project", "x\x00y"], r"^--project: 'x\\x00y' is not a project name"),
    ],
)
def test_a_bad_components_argument_is_one_line(project, args, message):
    if "--project" not in args:
        args = [*args, "--project", project.slug]
    with pytest.raises(CommandError, match=message) as raised:
        call_command("components", *args)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("bench_scan", ["--concurrency", "0"], "--concurrency: 0 is not from 1 to 64"),
        ("bench_soak", ["--port", "99999"], "--port: 99999 is not from 1 to 65535"),
        ("bench_web", ["--seconds", "1" * 5000], "--seconds: '1111"),
        ("bench_web", ["--rounds", "-1"], "--rounds: -1 is not from 1 to 100"),
    ],
)
def test_a_bad_benchmark_argument_is_one_line(command, args, message):
    """Checked before the command needs PostgreSQL, Redis or wrk."""
    with pytest.raises(CommandError, match=re.escape(message)) as raised:
        call_command(command, *args)
    assert "\n" not in str(raised.value)
