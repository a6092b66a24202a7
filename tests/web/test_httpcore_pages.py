"""httpcore's pages on its real releases 1.0.8 and 1.0.9 (PyPI sdists), as a
reader of issue 15 opens them: a project whose only scanned releases are
point releases, with twins across `_async/` and `_sync/`."""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from repo_builder import git, site_for

from tracker.models import FunctionStat, Project
from tracker.scanning import requests
from tracker.sources.sdist import SdistDownloadError, fetch_tree
from tracker.web.source import line_marks, python_lines

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    html = re.sub(
        r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S
    )
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


REPO_ROOT = Path(__file__).resolve().parents[2]
SDIST_CACHE = REPO_ROOT / ".cache" / "sdists"
VERSIONS = ("1.0.8", "1.0.9")
POOL = "httpcore._async.connection_pool.AsyncConnectionPool.handle_async_request"


def _sdist(version: str) -> Path:
    try:
        return fetch_tree(
            package="httpcore", spec=f"=={version}", cache_dir=SDIST_CACHE
        )
    except SdistDownloadError as exc:
        if os.environ.get("CI", "").lower() in {"1", "true"}:
            raise
        pytest.skip(f"needs PyPI access to download httpcore {version}: {exc}")


@pytest.fixture(scope="module")
def httpcore(tmp_path_factory, django_db_setup, django_db_blocker):
    """httpcore added with its settings file, its two releases committed and
    tagged as they are in the sdists, scanned."""
    root = tmp_path_factory.mktemp("httpcore")
    repo = root / "upstream"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for version in VERSIONS:
        shutil.rmtree(repo / "httpcore", ignore_errors=True)
        # Plain copies: kept modification times would hide from git the one
        # change of the same size (`__version__`).
        shutil.copytree(
            _sdist(version) / "httpcore", repo / "httpcore", copy_function=shutil.copy
        )
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"release {version}")
        git(repo, "tag", version)
    with site_for("httpcore", django_db_blocker, DATA_DIR=root / "data"):
        with django_db_blocker.unblock():
            call_command(
                "add_project",
                "httpcore",
                "--git",
                str(repo),
                "--package-dir",
                "httpcore",
                "--since",
                "1.0",
                "--config",
                str(REPO_ROOT / "analyzers/data/projects/httpcore.toml"),
            )
            project = Project.objects.get(slug="httpcore")
            targets = [requests.Target(version=v, ref=v) for v in VERSIONS]
            for scan in requests.scans_request(project=project, targets=targets):
                scan.refresh_from_db()
                assert scan.status == "done", scan.error
        yield project


def test_the_overview_shows_point_releases_when_no_feature_release_is_scanned(
    httpcore, client
):
    html = client.get("/p/httpcore/").content.decode()
    matrix = html[html.index('id="matrix-title"') :]
    for version in VERSIONS:
        assert f">{version}</" in matrix, version
    # Its components, each with a cell per release.
    assert 'href="/p/httpcore/components/connections/"' in matrix
    assert matrix.count("component=connections&amp;release=") == 2
    assert "2 releases shown: no feature release is scanned" in matrix
    assert "0 releases shown" not in matrix


def test_a_call_matched_by_name_only_is_not_linked_to_a_missing_page(httpcore, client):
    record = FunctionStat.objects.get(
        release__project=httpcore,
        release__version="1.0.9",
        module="httpcore._async.connection_pool",
        qualname="AsyncConnectionPool.handle_async_request",
    )
    call = "AsyncPoolRequest().wait_for_connection().handle_async_request()"
    assert [s["target"] for s in record.steps] == [call]  # no function's name
    html = client.get(f"/p/httpcore/releases/1.0.9/functions/{POOL}/").content.decode()
    chain = html[html.index('<ol class="chain">') : html.index("</ol>")]
    assert f"<li><code>{call}</code>" in chain
    assert f"functions/{call}/" not in chain
    # The first link, the function itself, is still linked and answers.
    assert f'href="/p/httpcore/releases/1.0.9/functions/{POOL}/"' in chain


def test_the_source_view_marks_the_thread_hops_of_every_project():
    """psycopg 3.3.9 hops with `asyncio.to_thread`, not asgiref's
    `sync_to_async`: its line is a hop on the function page, as it is one
    for the analyzer."""
    try:
        tree = fetch_tree(package="psycopg", spec="==3.3.9", cache_dir=SDIST_CACHE)
    except SdistDownloadError as exc:
        if os.environ.get("CI", "").lower() in {"1", "true"}:
            raise
        pytest.skip(f"needs PyPI access to download psycopg 3.3.9: {exc}")
    text = (tree / "psycopg" / "connection_async.py").read_text(encoding="utf-8")
    lines = python_lines(text)
    first = next(i for i, line in enumerate(lines) if "async def cancel_safe" in line)
    body = lines[first : first + 32]
    hop = next(i for i, line in enumerate(body) if "asyncio.to_thread" in line)
    marks = line_marks(body)
    assert marks[hop] == "hop"
    assert list(marks.values()).count("hop") == 1  # the other awaits are awaits
    assert "await" in marks.values()


def test_the_api_says_a_thread_hop_is_any_bridge_not_only_sync_to_async(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    described = [
        schema["properties"]["thread_hops"]["description"]
        for schema in schemas.values()
        if "thread_hops" in schema.get("properties", {})
    ]
    assert len(described) >= 2  # components and functions
    for description in described:
        assert "asyncio.to_thread" in description, description


def test_the_two_counts_of_twins_say_what_they_count(httpcore, client):
    """The component page counts public APIs with a twin (37 in httpcore's
    connections), the release page every async function with one (61, the
    private helpers too): under one label "async twins" they contradicted."""
    functions = FunctionStat.objects.filter(
        release__project=httpcore,
        release__version="1.0.9",
        component="connections",
        is_async=True,
    ).exclude(twin="")
    public = functions.filter(public=True, closure=False).count()
    assert (public, functions.count()) == (37, 61)
    page = text_of(client.get("/p/httpcore/components/connections/"))
    assert f"public async APIs with a twin {public} " in page
    release = text_of(client.get("/p/httpcore/releases/1.0.9/"))
    assert "async functions with a twin" in release
    row = re.search(r"connections \? unknown((?: \d+)+)", release)
    assert row, release[:3000]
    assert str(functions.count()) in row.group(1).split()
    assert "async twins" not in page + release


def test_headlines_change_since_the_release_before_when_only_points_are_scanned(
    httpcore, client
):
    summary = client.get("/api/v1/projects/httpcore/summary").json()
    assert (summary["release"], summary["compared_with"]) == ("1.0.9", "1.0.8")
    public = next(f for f in summary["figures"] if f["key"] == "public_async")
    assert public["change"] == 0  # the same 80 public async APIs in both
    page = text_of(client.get("/p/httpcore/"))
    assert "httpcore 1.0.9 at a glance (change since 1.0.8)" in page


def test_a_function_page_says_which_side_unasync_generates(httpcore, client):
    base = "/p/httpcore/releases/1.0.9/functions"
    sync = "httpcore._sync.connection_pool.ConnectionPool.handle_request"
    generated = text_of(client.get(f"{base}/{sync}/"))
    assert "this side is generated from its twin: a change belongs there" in generated
    source = text_of(client.get(f"{base}/{POOL}/"))
    assert "its twin is generated from this side" in source
    assert "this side is generated" not in source
