"""Real trees of projects other than Django, downloaded from PyPI once per run."""

import os
from pathlib import Path

import pytest
from projects import project_config

from analyzers import load_project_config
from analyzers.tree_pass.analyze import analyze_tree
from tracker.sources.sdist import SdistDownloadError, fetch_tree

REPO_ROOT = Path(__file__).resolve().parents[2]
SDIST_CACHE = REPO_ROOT / ".cache" / "sdists"


def _tree(package: str, spec: str) -> Path:
    try:
        return fetch_tree(package=package, spec=spec, cache_dir=SDIST_CACHE)
    except SdistDownloadError as exc:
        if os.environ.get("CI", "").lower() in {"1", "true"}:
            raise
        reason = str(exc).splitlines()[-1]
        pytest.skip(f"needs PyPI access to download {package}{spec}: {reason}")


@pytest.fixture(scope="session")
def httpcore_tree() -> Path:
    """httpcore 1.0.9: `_sync/` generated from `_async/` by unasync."""
    return _tree("httpcore", "==1.0.9")


@pytest.fixture(scope="session")
def psycopg_tree() -> Path:
    """psycopg 3.3.9: `x.py` generated from `x_async.py`, marked in headers."""
    return _tree("psycopg", "==3.3.9")


@pytest.fixture(scope="session")
def httpcore(httpcore_tree: Path):
    return analyze_tree(httpcore_tree, project_config("httpcore"))


@pytest.fixture(scope="session")
def psycopg(psycopg_tree: Path):
    return analyze_tree(psycopg_tree, project_config("psycopg"))


# Projects with twin modules that issue 15 does not name (its "twins in the
# wild"), analysed with the default settings: no project file.
@pytest.fixture(scope="session")
def elasticsearch_tree() -> Path:
    """elasticsearch 9.5.1: `_sync/` generated from `_async/` by unasync."""
    return _tree("elasticsearch", "==9.5.1")


@pytest.fixture(scope="session")
def pymongo_tree() -> Path:
    """pymongo 4.20.1: `synchronous/` generated from `asynchronous/` by synchro."""
    return _tree("pymongo", "==4.20.1")


@pytest.fixture(scope="session")
def redis_tree() -> Path:
    """redis 6.4.0: hand-written `redis/asyncio/` beside `redis/`."""
    return _tree("redis", "==6.4.0")


@pytest.fixture(scope="session")
def elasticsearch(elasticsearch_tree: Path):
    return analyze_tree(
        elasticsearch_tree, load_project_config(None, package="elasticsearch")
    )


@pytest.fixture(scope="session")
def pymongo_defaults(pymongo_tree: Path):
    return analyze_tree(pymongo_tree, load_project_config(None, package="pymongo"))


@pytest.fixture(scope="session")
def pymongo(pymongo_tree: Path):
    return analyze_tree(pymongo_tree, project_config("pymongo"))


@pytest.fixture(scope="session")
def redis(redis_tree: Path):
    return analyze_tree(redis_tree, load_project_config(None, package="redis"))
