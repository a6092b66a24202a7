"""The weekly snapshot scans a git project's default branch, found in its
mirror (the repository's HEAD), not a branch assumed to be called `main`."""

from datetime import date

import pytest
from django.core.management import call_command
from repo_builder import RELEASES, git, make_repo

from tracker.models import Project, Release, Scan
from tracker.scanning import mirrors, weekly

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = "main-2026-11-30"


@pytest.fixture
def master_repo(tmp_path):
    """A real repository whose only branch, its default, is `master`."""
    repo = make_repo(tmp_path / "upstream", {"1.0": RELEASES["1.0"]})
    git(repo, "branch", "-m", "main", "master")
    return repo


def test_a_master_branch_is_found_from_the_mirror(master_repo, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    call_command(
        "add_project", "legacy", "--git", str(master_repo), "--package-dir", "pkg"
    )
    project = Project.objects.get(slug="legacy")
    assert project.main_branch == ""  # not assumed: the mirror says

    with mirrors.mirror_open(project) as mirror:
        assert mirror.default_branch() == "master"
    scan = weekly.main_snapshot_request(project=project, today=date(2026, 12, 1))
    scan.refresh_from_db()
    assert (scan.status, scan.error, scan.ref) == (Scan.Status.DONE, "", "master")
    snapshot = Release.objects.get(project=project, version=MONDAY)
    assert snapshot.commit == git(master_repo, "rev-parse", "master")


def test_a_named_branch_still_wins(master_repo, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    git(master_repo, "branch", "develop")
    call_command(
        "add_project", "legacy", "--git", str(master_repo), "--package-dir", "pkg"
    )
    Project.objects.filter(slug="legacy").update(main_branch="develop")
    project = Project.objects.get(slug="legacy")
    scan = weekly.main_snapshot_request(project=project, today=date(2026, 12, 1))
    assert scan.ref == "develop"
    Project.objects.filter(slug="legacy").update(main_branch="main")
    project.refresh_from_db()
    # A branch named but missing: no snapshot, as before.
    assert (
        weekly.main_snapshot_request(project=project, today=date(2026, 12, 8)) is None
    )


def test_a_mirror_built_from_pypi_has_no_default_branch(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    project = Project.objects.create(
        slug="frompypi", name="FromPyPI", pypi_package="frompypi", main_branch=""
    )
    with mirrors.mirror_open(project, from_pypi=True) as mirror:
        assert mirror.default_branch() is None
    assert weekly.main_snapshot_request(project=project) is None
