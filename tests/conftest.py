"""Shared fixtures: real Django source trees downloaded from PyPI once per run."""

import os
import sys
from pathlib import Path

import pytest
from services import (  # noqa: F401 (fixtures)
    data_dir,
    private_redis,
    real_services,
    start_worker,
)

from analyzers.tree_pass.analyze import analyze_tree
from tracker.sources.sdist import SdistDownloadError, fetch_tree

REPO_ROOT = Path(__file__).resolve().parent.parent
SDIST_CACHE = REPO_ROOT / ".cache" / "sdists"
_TREE_FIXTURES = {
    *(f"django{v}_tree" for v in ("30", "31", "52", "61")),
    *(f"django{v}" for v in ("30", "31", "52", "61")),
    "release",
}


def _django_tree(*, spec: str) -> Path:
    try:
        return fetch_tree(package="django", spec=spec, cache_dir=SDIST_CACHE)
    except SdistDownloadError as exc:
        # CI must prove the real-data tests ran; a laptop offline may skip them.
        if os.environ.get("CI", "").lower() in {"1", "true"}:
            raise
        reason = str(exc).splitlines()[-1]
        pytest.skip(f"needs PyPI access to download django{spec}: {reason}")


@pytest.fixture(scope="session")
def django30_tree() -> Path:
    """The newest Django 3.0.x source tree (ASGI before the async request path)."""
    return _django_tree(spec="==3.0.*")


@pytest.fixture(scope="session")
def django31_tree() -> Path:
    """The newest Django 3.1.x source tree (async views and middleware)."""
    return _django_tree(spec="==3.1.*")


@pytest.fixture(scope="session")
def django52_tree() -> Path:
    """The newest Django 5.2.x source tree (the LTS this project runs on)."""
    return _django_tree(spec="==5.2.*")


@pytest.fixture(scope="session")
def django61_tree() -> Path:
    """The newest Django 6.1.x source tree."""
    return _django_tree(spec="==6.1.*")


# Each tree analysed once per run, for every module that reads its results.
@pytest.fixture(scope="session")
def django30(django30_tree: Path):
    return analyze_tree(django30_tree)


@pytest.fixture(scope="session")
def django31(django31_tree: Path):
    return analyze_tree(django31_tree)


@pytest.fixture(scope="session")
def django52(django52_tree: Path):
    return analyze_tree(django52_tree)


@pytest.fixture(scope="session")
def django61(django61_tree: Path):
    return analyze_tree(django61_tree)


@pytest.fixture(autouse=True)
def _no_kept_results():
    """Each test's finalises start without the results a test before kept
    (`tracker.scanning.kept_results`): the same small repositories give the
    same blobs, and a test may take a result out of the cache."""
    kept = sys.modules.get("tracker.scanning.kept_results")
    if kept is not None:
        kept.forget()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests using a real tree are `realdata` without having to say so, which
    # keeps `pytest -m "not realdata"` honest for offline runs.
    for item in items:
        if _TREE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.realdata)
