"""Build a local mirror from a package's PyPI sdists, one tagged commit each.

For users who cannot reach the project's git host, for tests and for the
quick start. Shell code: pip and git through `tracker.sources.sdist` and
`tracker.sources.git`, no Django.
"""

import logging
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from packaging.version import Version

from tracker import versions as release_versions
from tracker.sources.git import GitSourceError, Mirror
from tracker.sources.sdist import (
    SdistDownloadError,
    UnsafeArchiveError,
    check_package,
    download_sdist,
)

logger = logging.getLogger(__name__)

# Releases fetched and imported at a time: downloads overlap each other and
# the unpacking; more would only queue at PyPI and on two cores.
PARALLEL_IMPORTS = 4
_REPO_ROOT = Path(__file__).resolve().parents[2]

_AVAILABLE_LINE = re.compile(r"^Available versions:\s*(.*)$", re.MULTILINE)


class ReleaseImportError(RuntimeError):
    """One release could not be imported; the message names it and says why.

    Nothing of that release is in the mirror, and its extracted tree is not
    left in the cache.
    """


@dataclass(frozen=True)
class ImportedRelease:
    version: str
    tag: str
    commit: str
    created: bool


def _sorted_versions(versions: list[str]) -> list[tuple[Version, str]]:
    """The versions we can store (see tracker.versions.parse), in order."""
    parsed = []
    for text in versions:
        try:
            parsed.append((release_versions.parse(text), text))
        except release_versions.VersionError:
            logger.debug("skipping invalid version %r", text)
    return sorted(parsed)


def pypi_versions(package: str, *, timeout: float = 120) -> list[str]:
    """Every final release of `package` on the index, oldest first.

    Raises SdistDownloadError when pip cannot list them (offline, unknown
    package). Releases needing a newer Python than ours are listed too.
    """
    command = [
        sys.executable, "-m", "pip", "index", "versions",
        "--ignore-requires-python", "--disable-pip-version-check",
        check_package(package),
    ]  # fmt: skip
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SdistDownloadError(f"pip index timed out after {timeout}s") from exc
    match = _AVAILABLE_LINE.search(result.stdout)
    if result.returncode != 0 or not match:
        output = "\n".join(text.strip() for text in (result.stdout, result.stderr))
        raise SdistDownloadError(f"pip index versions {package} failed:\n{output}")
    listed = [text.strip() for text in match.group(1).split(",") if text.strip()]
    return [
        text for version, text in _sorted_versions(listed) if not version.is_prerelease
    ]


def feature_releases_since(versions: list[str], since: str) -> list[str]:
    """The X.Y feature releases ("3.0", not "3.0.1") in `versions`, >= `since`."""
    floor = Version(since)
    picked: dict[Version, str] = {}
    for version, text in _sorted_versions(versions):
        if version.is_prerelease or version.is_postrelease or version.local:
            continue
        if any(version.release[2:]) or version < floor:
            continue
        picked.setdefault(version, text)  # "3.0" and "3.0.0" are one release
    return list(picked.values())


def final_releases_since(versions: list[str], since: str) -> list[str]:
    """Every final release in `versions` >= `since`, feature and point alike
    ("3.0", "3.0.1", ...): no pre-, post- or local releases."""
    floor = Version(since)
    picked: dict[Version, str] = {}
    for version, text in _sorted_versions(versions):
        if version.is_prerelease or version.is_postrelease or version.local:
            continue
        if version >= floor:
            picked.setdefault(version, text)  # "3.0" and "3.0.0" are one release
    return list(picked.values())


def _release_date(tree: Path) -> datetime:
    # sdist tools write PKG-INFO when they build the archive and extraction
    # keeps member times, so it dates the release without asking PyPI.
    for candidate in (tree / "PKG-INFO", tree):
        if candidate.exists():
            return datetime.fromtimestamp(candidate.stat().st_mtime, UTC)
    return datetime.now(UTC)


def _import_one(
    *,
    mirror: Mirror,
    package: str,
    version: str,
    cache_dir: Path,
    folders,
    downloaded: Callable[[str], object] | None = None,
) -> str:
    """Commit and tag one release; on failure, drop its extracted tree.

    The tree would otherwise be reused as it is by the next import and fail
    the same way for ever; the archive stays, and is checked again.
    """
    cache_dir = cache_dir.resolve()
    # "==3.0" is exactly 3.0 (or 3.0.0), never 3.0.x.
    archive = download_sdist(package=package, spec=f"=={version}", cache_dir=cache_dir)
    if downloaded is not None:
        downloaded(version)
    tree = _extract_apart(archive=archive, cache_dir=cache_dir)
    try:
        commit = mirror.commit_tree(
            source_dir=tree,
            folders=folders,
            tag=version,
            message=f"{package} {version}, imported from its PyPI sdist\n",
            date=_release_date(tree),
        )
    except BaseException:
        shutil.rmtree(tree, ignore_errors=True)
        raise
    logger.info("imported %s %s as %s", package, version, commit)
    return commit


def _extract_apart(*, archive: Path, cache_dir: Path) -> Path:
    """`archive`'s tree, unpacked by `python -m tracker.sources.sdist`.

    Checking and unpacking an archive is Python work under the GIL: in a
    process of its own, releases imported together use every core. Same
    function, same limits; its one-line error names what was refused.
    """
    command = [
        sys.executable, "-m", "tracker.sources.sdist",
        "--archive", str(archive), "--cache", str(cache_dir),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command,
            cwd=_REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise UnsafeArchiveError("unpacking took over 600 s") from exc
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise UnsafeArchiveError(lines[-1].removeprefix("tracker.sources.sdist: "))
    return Path(done.stdout.strip())


def import_releases(
    *,
    mirror: Mirror,
    package: str,
    versions: list[str],
    cache_dir: Path,
    folders: tuple[str, ...],
    progress: Callable[[ImportedRelease], object] | None = None,
    downloaded: Callable[[str], object] | None = None,
    parallel: int = PARALLEL_IMPORTS,
) -> list[ImportedRelease]:
    """Commit and tag each version's sdist `folders`; skip tags already there.

    Up to `parallel` releases are downloaded and imported at a time, each
    checked and unpacked as `tracker.sources.sdist` does. `downloaded` is
    called with each version whose archive is in the cache (none for a tag
    already there), `progress` with each release once it is imported or
    skipped; both from worker threads. Returns the releases in the order of
    `versions`. Raises ReleaseImportError, naming the release, for an
    invalid version or a release that cannot be fetched, unpacked or
    committed (the first in that order); the releases imported meanwhile
    stay, the ones not started are not imported.
    """
    check_package(package)
    for version in versions:
        try:
            release_versions.parse(version)
        except release_versions.VersionError as exc:
            raise ReleaseImportError(str(exc)) from None

    def one(version: str) -> ImportedRelease:
        try:
            commit = mirror.tag_commit(version)
            created = commit is None
            if commit is None:
                commit = _import_one(
                    mirror=mirror,
                    package=package,
                    version=version,
                    cache_dir=cache_dir,
                    folders=folders,
                    downloaded=downloaded,
                )
        except (
            SdistDownloadError,
            UnsafeArchiveError,
            GitSourceError,
            OSError,
        ) as exc:
            raise ReleaseImportError(f"{package} {version}: {exc}") from exc
        release = ImportedRelease(
            version=version, tag=version, commit=commit, created=created
        )
        if progress is not None:
            progress(release)
        return release

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures: list[Future] = [pool.submit(one, version) for version in versions]
        try:
            return [future.result() for future in futures]
        finally:
            for future in futures:
                future.cancel()  # after a failure: start no other release
