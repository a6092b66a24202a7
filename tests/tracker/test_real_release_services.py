"""Real Django releases on the production path: sdists from PyPI imported
into the mirror, scanned by a Celery worker process and written to PostgreSQL,
which (unlike SQLite) refuses a value wider than its column."""

from pathlib import Path

import pytest
from services import import_releases_or_skip, request, wait_done

from analyzers.records import Convention
from tracker.models import Project, Release, TwinPairStat

# As tests/conftest.py downloads them (tests/web has a conftest of its own).
SDIST_CACHE = Path(__file__).resolve().parents[2] / ".cache" / "sdists"

pytestmark = [
    pytest.mark.services,
    pytest.mark.realdata,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_services"),
]


def test_two_django_releases_scan_on_postgresql_with_a_worker(
    settings, data_dir, start_worker
):
    """6.0 and 6.1 are done, with their components, twin pairs (6.0's
    AsyncPaginator pairs by the longest convention there is) and 6.1 linked
    to 6.0 as its previous release."""
    settings.SDIST_CACHE_DIR = SDIST_CACHE
    _django_project()  # transactional tests before this one flush the seed
    import_releases_or_skip("6.0", "6.1")
    project = Project.objects.get(slug="django")
    # Real releases on a loaded machine: task limits of a real deployment,
    # not the short ones the fixture sets for tests that kill workers.
    start_worker(CELERY_VISIBILITY_TIMEOUT=900, CELERY_TASK_TIME_LIMIT=600)
    scans = [wait_done(request(project, v), timeout=600) for v in ("6.0", "6.1")]
    assert [(s.status, s.error) for s in scans] == [("done", "")] * 2

    older, newer = (Release.objects.get(version=v) for v in ("6.0", "6.1"))
    assert newer.previous == older and older.previous is None
    for release in (older, newer):
        stages = dict(release.componentstat_set.values_list("name", "stage"))
        assert {"orm-queryset", "cache", "contrib.auth", "signals"} <= set(stages)
        assert stages["signals"] == "async-native"
        assert release.functionstat_set.filter(is_async=True).count() > 200
        assert release.twinpairstat_set.count() > 150
    paired = TwinPairStat.objects.get(
        release=newer,
        module="django.core.paginator",
        async_qualname="AsyncPaginator.apage",
    )
    assert paired.convention == Convention.SIBLING_PREFIX
    longest = max(Convention, key=lambda c: len(c.value))
    assert len(paired.convention) <= len(longest)
    assert newer.pairdrift_set.filter(previous=older).exists()


def _django_project() -> Project:
    """The Django project as migration 0002 seeds it, from PyPI here."""
    map_file = Path(__file__).resolve().parents[2] / "analyzers/data/django.toml"
    project, _ = Project.objects.get_or_create(
        slug="django",
        defaults=dict(
            name="Django",
            pypi_package="django",
            package_dir="django",
            tests_dir="tests",
            component_map=map_file.read_text(encoding="utf-8"),
        ),
    )
    return project
