"""A second project end to end on the production path: added with
`add_project`, two real httpcore releases imported from their PyPI sdists,
scanned by a Celery worker process into PostgreSQL, and answered for by the
pages and the API, with the drift between its releases."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from services import import_releases_or_skip, request, wait_done

from tracker.models import PairDrift, Project, Release

SDIST_CACHE = Path(__file__).resolve().parents[2] / ".cache" / "sdists"
OLDER, NEWER = "1.0.8", "1.0.9"

pytestmark = [
    pytest.mark.services,
    pytest.mark.realdata,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_services"),
]


def test_httpcore_added_imported_scanned_and_served(settings, data_dir, start_worker):
    settings.SDIST_CACHE_DIR = SDIST_CACHE
    call_command("add_project", "httpcore", "--pypi", "httpcore", "--since", "1.0")
    import_releases_or_skip(OLDER, NEWER, project="httpcore")
    project = Project.objects.get(slug="httpcore")
    start_worker(CELERY_VISIBILITY_TIMEOUT=900, CELERY_TASK_TIME_LIMIT=600)
    scans = [wait_done(request(project, v), timeout=600) for v in (OLDER, NEWER)]
    assert [(s.status, s.error) for s in scans] == [("done", "")] * 2

    older, newer = (
        Release.objects.get(project=project, version=v) for v in (OLDER, NEWER)
    )
    assert newer.previous == older and not newer.is_feature
    assert newer.functionstat_set.filter(is_async=True, public=True).count() > 50
    assert newer.twinpairstat_set.exists()
    drift = PairDrift.objects.filter(release=newer, previous=older)
    assert (
        drift.count()
        == newer.twinpairstat_set.filter(
            module__in=older.twinpairstat_set.values("module"),
            async_qualname__in=older.twinpairstat_set.values("async_qualname"),
        ).count()
    )

    client = Client()
    for path in (
        "/",
        "/p/httpcore/",
        "/p/httpcore/components/",
        f"/p/httpcore/releases/{NEWER}/",
        f"/p/httpcore/releases/{NEWER}/pairs/",
        f"/p/httpcore/one-sided-changes/?release={NEWER}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"httpcore" in response.content, path
    pair = newer.twinpairstat_set.order_by("module", "async_qualname").first()
    pair_page = (
        f"/p/httpcore/releases/{NEWER}/pairs/{pair.module}.{pair.async_qualname}/"
    )
    html = client.get(pair_page).content.decode()
    history = html[html.index("history-title") :]
    assert f">{OLDER}</a>" in history and f">{NEWER}</a>" in history

    # Its _sync/ twins of _async/ (unasync): every async def there paired
    # across the twin modules, each side shown from its own file.
    across = newer.twinpairstat_set.filter(module__startswith="httpcore._async.")
    assert across.exclude(sync_module="").count() == across.count() >= 61
    cross = across.order_by("module", "async_qualname").first()
    html = client.get(
        f"/p/httpcore/releases/{NEWER}/pairs/{cross.module}.{cross.async_qualname}/"
    ).content.decode()
    assert f"<code>{cross.sync_module}</code> (sync)" in html
    assert html.count('class="sidebyside') == 2

    listed = {p["slug"]: p for p in client.get("/api/v1/projects").json()}
    assert listed["httpcore"]["newest"] == NEWER
    assert listed["httpcore"]["twin_pairs"] == newer.twinpairstat_set.count()
    releases = client.get("/api/v1/projects/httpcore/releases").json()
    assert [(r["version"], r["previous"]) for r in releases] == [
        (OLDER, None),
        (NEWER, OLDER),
    ]
    compare = client.get(
        f"/api/v1/projects/httpcore/compare?base={OLDER}&head={NEWER}"
    ).json()
    assert (compare["base"], compare["head"]) == (OLDER, NEWER)
    changes = client.get(
        f"/api/v1/projects/httpcore/one-sided-changes?release={NEWER}"
    ).json()
    assert changes["count"] == drift.filter(one_sided=True).count()
