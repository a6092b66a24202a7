"""Download a package's source distribution from PyPI and unpack it safely.

Shell code with the standard library and `packaging` only: it must run from
the Makefile before Django is configured, and it never imports Django. The
archive comes from the index's PEP 691 JSON (`tracker.sources.simple_index`),
checked against its sha256; nothing in it runs (pip would run its build
backend to read its metadata).

    python -m tracker.sources.sdist django --spec "==5.2.*" --cache .cache/sdists
    python -m tracker.sources.sdist --archive .cache/sdists/django-5.2.19.tar.gz

prints the path of the extracted tree and nothing else (`--archive`: unpack
an archive already downloaded, beside it unless --cache says where).
"""

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from tracker.sources import archives, simple_index
from tracker.sources.archives import DEFAULT_LIMITS, Limits, UnsafeArchiveError
from tracker.sources.simple_index import SdistDownloadError, check_package

__all__ = [
    "SdistDownloadError",
    "UnsafeArchiveError",
    "check_package",
    "download_sdist",
    "extract_sdist",
    "fetch_tree",
]

ARCHIVE_SUFFIX = simple_index.SDIST_SUFFIX
_EXACT_SPEC = re.compile(r"^==\s*([^*,;\s]+)$")


def _normalized(name: str) -> str:
    # PEP 625 file names lowercase the project and use "_"; old ones did not.
    return re.sub(r"[-_.]+", "_", name).lower()


def _cached_archive(*, package: str, version: str, cache_dir: Path) -> Path | None:
    wanted = _normalized(f"{package}-{version}{ARCHIVE_SUFFIX}")
    for candidate in cache_dir.glob(f"*{ARCHIVE_SUFFIX}"):
        if _normalized(candidate.name) == wanted:
            return candidate
    return None


def download_sdist(
    *,
    package: str,
    spec: str | None,
    cache_dir: Path,
    timeout: float = 600,
    listed: list[simple_index.IndexFile] | None = None,
) -> Path:
    """Return the sdist archive for `package` matching `spec` (None: newest).

    An exact `==X` spec already in `cache_dir` needs no network. Otherwise
    the index's JSON page (or `listed`, that page read once by a caller
    fetching several releases) says which sdist is the newest non-yanked match;
    an archive of that name in the cache with the index's sha256 is reused,
    else it is downloaded (`simple_index.fetch_sdist`: at most the archive
    limit, within `timeout` seconds, sha256 checked). Nothing in the archive
    runs.
    """
    check_package(package)
    exact = _EXACT_SPEC.match(spec.strip()) if spec else None
    if exact:
        cached = _cached_archive(
            package=package, version=exact.group(1), cache_dir=cache_dir
        )
        if cached:
            return cached
    if listed is None:
        listed = simple_index.project_sdists(package, timeout=min(timeout, 120))
    found = simple_index.pick_sdist(listed, package=package, spec=spec)
    cached = cache_dir / found.filename
    if cached.is_file() and simple_index.file_sha256(cached) == found.sha256:
        return cached
    return simple_index.fetch_sdist(
        found,
        dest_dir=cache_dir,
        max_bytes=DEFAULT_LIMITS.archive_bytes,
        timeout=timeout,
    )


def extract_sdist(
    *, archive: Path, dest_dir: Path, limits: Limits = DEFAULT_LIMITS
) -> Path:
    """Extract a .tar.gz sdist into `dest_dir` and return its top-level folder.

    The folder is named after the archive (`django-5.2.19.tar.gz` gives
    `dest_dir/django-5.2.19`) and is returned as is if it already exists. The
    archive is unpacked into a temporary folder beside it and renamed into
    place, so a refused or failed extraction leaves nothing behind.
    """
    if not archive.name.endswith(ARCHIVE_SUFFIX):
        raise ValueError(f"{archive} is not a {ARCHIVE_SUFFIX} archive")
    target = dest_dir / archive.name.removesuffix(ARCHIVE_SUFFIX)
    if target.is_symlink():
        raise UnsafeArchiveError(f"{target} is a symbolic link, not a tree")
    if target.is_dir():
        return target
    dest_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=dest_dir))
    try:
        top = archives.unpack(archive=archive, dest=staging, limits=limits)
        try:
            top.rename(target)
        except OSError:
            # Another process finished the same extraction first.
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def fetch_tree(
    *,
    package: str = "django",
    spec: str | None = None,
    cache_dir: Path = Path(".cache/sdists"),
) -> Path:
    """Download (or reuse) the sdist and return its extracted source tree."""
    cache_dir = cache_dir.resolve()
    archive = download_sdist(package=package, spec=spec, cache_dir=cache_dir)
    return extract_sdist(archive=archive, dest_dir=cache_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tracker.sources.sdist",
        description="Fetch and unpack a PyPI sdist; print the tree's path.",
    )
    parser.add_argument("package", nargs="?", default="django")
    parser.add_argument("--spec", help='version specifier, e.g. "==5.2.*"')
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--archive", type=Path, help="unpack this archive only")
    args = parser.parse_args(argv)
    try:
        if args.archive is not None:
            tree = extract_sdist(
                archive=args.archive, dest_dir=args.cache or args.archive.parent
            )
        else:
            tree = fetch_tree(
                package=args.package,
                spec=args.spec,
                cache_dir=args.cache or Path(".cache/sdists"),
            )
    except (SdistDownloadError, ValueError, OSError) as exc:
        print(f"tracker.sources.sdist: {exc}", file=sys.stderr)
        return 1
    print(tree)
    return 0


if __name__ == "__main__":
    sys.exit(main())
