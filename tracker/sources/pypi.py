"""Build a local mirror from a package's PyPI sdists, one tagged commit each.

For users who cannot reach the project's git host, for tests and for the
quick start. Shell code: the index and git through `tracker.sources.sdist` and
`tracker.sources.git`, no Django.
"""

import logging
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
from tracker.sources import simple_index
from tracker.sources.git import GitSourceError, Mirror
from tracker.sources.sdist import (
    SdistDownloadError,
    UnsafeArchiveError,
    check_package,
    download_sdist,
)
from tracker.sources.simple_index import IndexFile

logger = logging.getLogger(__name__)

# Releases fetched and imported at a time: downloads overlap each other and
# the unpacking; more would only queue at PyPI and on two cores.
PARALLEL_IMPORTS = 4
_REPO_ROOT = Path(__file__).resolve().parents[2]


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
    """Every final release of `package` with an sdist on the index (not
    yanked), oldest first.

    Raises SdistDownloadError when the index cannot list them (offline,
    unknown package). Releases needing a newer Python than ours are listed too.
    """
    listed = simple_index.sdist_versions(check_package(package), timeout=timeout)
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


def _upload_time(
    listed: list[IndexFile] | None, *, package: str, version: str
) -> datetime | None:
    """The index's upload time of the release's sdist, if it says one."""
    try:
        found = simple_index.pick_sdist(
            listed or [], package=package, spec=f"=={version}"
        )
    except SdistDownloadError:
        return None
    return found.uploaded


def _release_date(tree: Path, uploaded: datetime | None) -> datetime:
    """When the release was published: its sdist's upload time on the index.

    Without one (an index without PEP 700, or none reachable and the archive
    cached), PKG-INFO's time: sdist tools write it when they build the
    archive and extraction keeps member times. Some builds pin every time
    (hatchling writes 2020-02-02 into httpcore's), hence the index first.
    """
    if uploaded is not None:
        return uploaded
    for candidate in (tree / "PKG-INFO", tree):
        if candidate.exists():
            return datetime.fromtimestamp(candidate.stat().st_mtime, UTC)
    return datetime.now(UTC)


def _listing(package: str) -> list[IndexFile] | None:
    """The package's sdists on the index, read once for all its releases;
    None when the index cannot be read (cached archives still import)."""
    try:
        return simple_index.project_sdists(package)
    except SdistDownloadError as exc:
        logger.warning(
            "%s: the index cannot be read (%s); release dates come from the"
            " archives' PKG-INFO",
            package,
            exc,
        )
        return None


def _import_one(
    *,
    mirror: Mirror,
    package: str,
    version: str,
    cache_dir: Path,
    folders,
    listed: list[IndexFile] | None = None,
    downloaded: Callable[[str], object] | None = None,
) -> str:
    """Commit and tag one release; on failure, drop its extracted tree.

    The tree would otherwise be reused as it is by the next import and fail
    the same way for ever; the archive stays, and is checked again.
    """
    cache_dir = cache_dir.resolve()
    # "==3.0" is exactly 3.0 (or 3.0.0), never 3.0.x.
    archive = download_sdist(
        package=package, spec=f"=={version}", cache_dir=cache_dir, listed=listed
    )
    if downloaded is not None:
        downloaded(version)
    tree = _extract_apart(archive=archive, cache_dir=cache_dir)
    try:
        _check_package_folder(tree, folders[0], package=package, version=version)
        commit = mirror.commit_tree(
            source_dir=tree,
            folders=folders,
            tag=version,
            message=f"{package} {version}, imported from its PyPI sdist\n",
            date=_release_date(
                tree, _upload_time(listed, package=package, version=version)
            ),
        )
    except BaseException:
        shutil.rmtree(tree, ignore_errors=True)
        raise
    logger.info("imported %s %s as %s", package, version, commit)
    return commit


def _check_package_folder(tree: Path, folder: str, *, package: str, version: str):
    """The package folder must be in the sdist: a release imported without
    it has nothing to scan, and its tag would keep it so. An sdist in the
    other layout (`src/NAME` for `NAME`, or the reverse) is named."""
    if (tree / folder).is_dir():
        return
    name = folder.rpartition("/")[2]
    other = name if "/" in folder else f"src/{name}"
    hint = ""
    if (tree / other).is_dir():
        hint = f"; it has {other}/: set the package folder to {other}"
    raise ReleaseImportError(
        f"{package} {version}: the sdist has no folder {folder}/{hint}"
    )


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
    """Commit and tag each version's sdist `folders` (the package's first);
    skip tags already there.

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
    try:
        tagged = {version: mirror.tag_commit(version) for version in versions}
    except GitSourceError as exc:
        raise ReleaseImportError(f"{package}: {exc}") from exc
    # One read of the index for every release to import (not one each):
    # which archive to fetch, its sha256 and its upload time.
    listed = _listing(package) if None in tagged.values() else None

    def one(version: str) -> ImportedRelease:
        try:
            commit = tagged[version]
            created = commit is None
            if commit is None:
                commit = _import_one(
                    mirror=mirror,
                    package=package,
                    version=version,
                    cache_dir=cache_dir,
                    folders=folders,
                    listed=listed,
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
