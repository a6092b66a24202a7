"""Releases imported from sdists into a local mirror."""

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import SDIST_CACHE
from tracker.sources import simple_index
from tracker.sources.git import GitSourceError, Mirror, Tag
from tracker.sources.pypi import (
    feature_releases_since,
    final_releases_since,
    import_releases,
    pypi_versions,
)
from tracker.sources.sdist import SdistDownloadError

DATE = datetime(2024, 4, 3, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("versions", "since", "expected"),
    [
        (["3.0", "3.0.1", "3.1", "3.1.2", "4.0"], "3.1", ["3.1", "4.0"]),
        (["6.1", "5.2", "10.0", "6.0", "5.2.19"], "5.2", ["5.2", "6.0", "6.1", "10.0"]),
        (["4.0a1", "4.0b1", "4.0rc1", "4.0", "4.0.post1"], "3.0", ["4.0"]),
        # Two spellings of one release: the shorter is kept.
        (["1.0.0", "1.0", "1.1.0", "1.1.1"], "1.0", ["1.0", "1.1.0"]),
        (["2.2.28", "2.2", "3.2"], "3.0", ["3.2"]),
        (["1.0", "not a version", "1.1"], "0", ["1.0", "1.1"]),
        (["5.1.3", "5.2.1"], "5.0", []),
        ([], "1.0", []),
    ],
)
def test_feature_releases_since(versions, since, expected):
    assert feature_releases_since(versions, since) == expected


@pytest.mark.parametrize(
    ("versions", "since", "expected"),
    [
        (
            ["2.2.28", "3.0", "3.0.1", "3.1", "3.1.2"],
            "3.0",
            ["3.0", "3.0.1", "3.1", "3.1.2"],
        ),
        (["5.2.10", "5.2.9", "6.0"], "5.2.9", ["5.2.9", "5.2.10", "6.0"]),
        (["4.0a1", "4.0rc1", "4.0", "4.0.post1", "4.0.1+local"], "3.0", ["4.0"]),
        (["1.0.0", "1.0", "1.0.1"], "1.0", ["1.0", "1.0.1"]),
        (["3.0", "not a version"], "3.1", []),
    ],
)
def test_final_releases_since(versions, since, expected):
    """--all-since: feature and point releases, no pre-, post- or local ones."""
    assert final_releases_since(versions, since) == expected


@pytest.fixture
def sdist_tree(tmp_path: Path) -> Path:
    """An unpacked sdist with a package, tests, docs and some traps."""
    tree = tmp_path / "pkg-1.0"
    files = {
        "pkg/__init__.py": b"VERSION = '1.0'\n",
        "pkg/windows.py": b"x = 1\r\ny = 2\r\n",
        "pkg/data/notes.txt": b"kept, not Python\n",
        "tests/test_pkg.py": b"def test():\n    pass\n",
        "docs/conf.py": b"project = 'pkg'\n",
        "setup.py": b"setup()\n",
        # Neither may change what is stored: no ignoring, no eol conversion.
        ".gitignore": b"*.py\n",
        ".gitattributes": b"* text eol=crlf\n",
    }
    for relative, data in files.items():
        path = tree / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (tree / "pkg/run.py").write_bytes(b"#!/usr/bin/env python\n")
    (tree / "pkg/run.py").chmod(0o755)
    outside = tmp_path / "secret.py"
    outside.write_bytes(b"TOKEN = 'never stored'\n")
    (tree / "pkg/leak.py").symlink_to(outside)
    (tree / "pkg/linked_dir").symlink_to(tmp_path)
    return tree


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Mirror]:
    with Mirror.init_local(path=tmp_path / "mirror") as mirror:
        yield mirror


def _ls_tree(mirror: Mirror, commit: str) -> list[str]:
    result = subprocess.run(
        ["git", "ls-tree", "-r", "--format=%(objectmode) %(path)", commit],
        cwd=mirror.path,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def test_commit_tree_snapshots_only_the_folders(local: Mirror, sdist_tree: Path):
    """Regular files under the folders, exact bytes, links left out."""
    commit = local.commit_tree(
        source_dir=sdist_tree,
        folders=("pkg", "tests"),
        tag="1.0",
        message="pkg 1.0",
        date=DATE,
    )

    assert local.tag_commit("1.0") == commit
    assert _ls_tree(local, commit) == [
        "100644 pkg/__init__.py",
        "100644 pkg/data/notes.txt",
        "100755 pkg/run.py",
        "100644 pkg/windows.py",
        "100644 tests/test_pkg.py",
    ]
    blobs = local.python_blobs(commit, ("pkg",))
    contents = dict(local.read_blobs(blob.sha for blob in blobs))
    by_path = {blob.path: contents[blob.sha] for blob in blobs}
    assert by_path == {
        "pkg/__init__.py": b"VERSION = '1.0'\n",
        "pkg/run.py": b"#!/usr/bin/env python\n",
        "pkg/windows.py": b"x = 1\r\ny = 2\r\n",
    }
    assert local.tags(r"\d+\.\d+") == [Tag(name="1.0", commit=commit, date=DATE)]


def test_commit_tree_is_idempotent(local: Mirror, sdist_tree: Path):
    """A second import of the tag returns the first commit and changes nothing."""
    first = local.commit_tree(
        source_dir=sdist_tree, folders=("pkg",), tag="1.0", message="m", date=DATE
    )
    (sdist_tree / "pkg/__init__.py").write_bytes(b"changed\n")

    again = local.commit_tree(
        source_dir=sdist_tree, folders=("pkg",), tag="1.0", message="m", date=DATE
    )

    assert again == first
    assert local.tag_commit("1.0") == first


def test_commit_tree_is_reproducible(tmp_path: Path, sdist_tree: Path):
    """The same files, message and date give the same commit in any mirror."""
    commits = set()
    for name in ("one", "two"):
        with Mirror.init_local(path=tmp_path / name) as mirror:
            commits.add(
                mirror.commit_tree(
                    source_dir=sdist_tree,
                    folders=("pkg",),
                    tag="1.0",
                    message="m",
                    date=DATE,
                )
            )
    assert len(commits) == 1


@pytest.mark.parametrize(
    ("tag", "folders", "date", "problem"),
    [
        ("--upload-pack=x", ("pkg",), DATE, "release tag"),
        ("v1.0", ("pkg",), DATE, "release tag"),
        ("1.0", ("../pkg-1.0",), DATE, "plain relative folder"),
        ("1.0", ("",), DATE, "plain relative folder"),
        ("1.0", ("-pkg/x y",), DATE, "plain relative folder"),
        ("1.0", ("missing",), DATE, "no files"),
        ("1.0", ("pkg",), datetime(2024, 1, 1), "time zone"),
    ],
)
def test_commit_tree_refuses(local, sdist_tree, tag, folders, date, problem):
    with pytest.raises(GitSourceError, match=problem):
        local.commit_tree(
            source_dir=sdist_tree, folders=folders, tag=tag, message="m", date=date
        )
    assert local.tags(r".+") == []


def _needs_pypi(exc: SdistDownloadError) -> None:
    # Same rule as the tree fixtures: CI must run it, a laptop offline skips.
    if os.environ.get("CI", "").lower() in {"1", "true"}:
        raise exc
    pytest.skip(f"needs PyPI access: {str(exc).splitlines()[-1]}")


@pytest.mark.realdata
def test_pypi_versions_lists_releases_for_newer_pythons_too():
    """Django 6.x needs Python 3.12 and is listed anyway, in version order."""
    try:
        versions = pypi_versions("django")
    except SdistDownloadError as exc:
        _needs_pypi(exc)
    assert {"3.0", "5.2", "6.0", "6.1"} <= set(versions)
    assert versions.index("3.0") < versions.index("3.0.1") < versions.index("3.1")
    assert versions.index("5.2.9") < versions.index("5.2.10")
    assert not [version for version in versions if "rc" in version or "a" in version]


def test_pypi_versions_refuses_option_like_names():
    with pytest.raises(ValueError, match="package name"):
        pypi_versions("--index-url=https://evil.invalid/simple")


def test_import_releases_from_a_real_sdist(django52_tree: Path, tmp_path: Path):
    """A real Django release becomes a tagged commit; importing again skips it."""
    version = django52_tree.name.removeprefix("django-")
    seen: list[str] = []

    with Mirror.init_local(path=tmp_path / "mirror") as mirror:
        first = import_releases(
            mirror=mirror,
            package="django",
            versions=[version],
            cache_dir=SDIST_CACHE,
            folders=("django",),
            progress=lambda release: seen.append(release.version),
        )
        again = import_releases(
            mirror=mirror,
            package="django",
            versions=[version],
            cache_dir=SDIST_CACHE,
            folders=("django",),
        )
        (release,) = first
        blobs = {
            blob.path: blob for blob in mirror.python_blobs(release.commit, ("django",))
        }
        ((_, init),) = mirror.read_blobs([blobs["django/__init__.py"].sha])
        (tag,) = mirror.tags(r"\d+\.\d+(\.\d+)?")

    assert (release.version, release.tag, release.created) == (version, version, True)
    assert [(r.commit, r.created) for r in again] == [(release.commit, False)]
    assert seen == [version]
    assert init == (django52_tree / "django/__init__.py").read_bytes()
    assert not [path for path in blobs if not path.startswith("django/")]
    assert tag.name == version and tag.commit == release.commit
    # Dated by its upload to PyPI (PEP 700's upload-time), not its archive.
    (listed,) = [
        found
        for found in simple_index.project_sdists("django")
        if str(found.version) == version
    ]
    assert listed.uploaded is not None
    assert tag.date == listed.uploaded.replace(microsecond=0)
