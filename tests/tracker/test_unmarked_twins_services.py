"""Twin modules whose sync side nothing marks, on the production path:
redis 6.4.0's hand-written `redis/asyncio/client.py` beside `redis/client.py`.
The per-file pass keeps no text of `redis/client.py` (no path rule or header
makes it a twin module); the worker's finalise reads it from the mirror, so
the release holds those pairs as `python -m analyzers` finds them."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from services import import_releases_or_skip, request, wait_done
from twins_by_ast import expected_pairs, module_name, twin_modules

from tracker.models import Project, Release

SDIST_CACHE = Path(__file__).resolve().parents[2] / ".cache" / "sdists"
VERSION = "6.4.0"

pytestmark = [
    pytest.mark.services,
    pytest.mark.realdata,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("real_services"),
]


def test_redis_pairs_across_unmarked_twin_modules_are_scanned(
    settings, data_dir, start_worker
):
    settings.SDIST_CACHE_DIR = SDIST_CACHE
    call_command("add_project", "redis", "--pypi", "redis", "--since", "6.4")
    import_releases_or_skip(VERSION, project="redis")
    project = Project.objects.get(slug="redis")
    start_worker(CELERY_VISIBILITY_TIMEOUT=900, CELERY_TASK_TIME_LIMIT=600)
    scan = wait_done(request(project, VERSION), timeout=600)
    assert (scan.status, scan.error) == ("done", "")

    tree = SDIST_CACHE / f"redis-{VERSION}"
    expected = expected_pairs(tree, twin_modules(tree, "redis", "asyncio", ""))
    release = Release.objects.get(project=project, version=VERSION)
    stored = {
        f"{p.module}.{p.async_qualname}": f"{p.sync_module}.{p.sync_qualname}"
        for p in release.twinpairstat_set.exclude(sync_module="")
    }
    assert stored == expected
    client_pairs = {n for n in stored if n.startswith("redis.asyncio.client.")}
    assert len(client_pairs) > 30
    assert {stored[n].rsplit(".", 2)[0] for n in client_pairs} == {"redis.client"}
    assert module_name(tree, tree / "redis/client.py") == "redis.client"

    # The pair's page shows both sides, each from its own module.
    pair = release.twinpairstat_set.get(
        module="redis.asyncio.client", async_qualname="Redis.execute_command"
    )
    html = (
        Client()
        .get(f"/p/redis/releases/{VERSION}/pairs/{pair.module}.{pair.async_qualname}/")
        .content.decode()
    )
    assert "<code>redis.client</code> (sync)" in html
    assert html.count('class="sidebyside') == 2
