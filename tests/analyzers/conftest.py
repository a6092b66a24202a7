"""Real trees of projects other than Django, downloaded from PyPI once per run."""

import os
from pathlib import Path

import pytest
from projects import project_config

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
