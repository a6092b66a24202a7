"""Download a package's source distribution from PyPI and unpack it safely.

Shell code with the standard library only: it must run from the Makefile
before Django is configured, and it never imports Django.

    python -m tracker.sources.sdist django --spec "==5.2.*" --cache .cache/sdists
    python -m tracker.sources.sdist --archive .cache/sdists/django-5.2.19.tar.gz

prints the path of the extracted tree and nothing else (`--archive`: unpack
an archive already downloaded, beside it unless --cache says where).
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tracker.sources import archives
from tracker.sources.archives import DEFAULT_LIMITS, Limits, UnsafeArchiveError

ARCHIVE_SUFFIX = ".tar.gz"
# pip logs one of these for the archive it resolved, depending on the cache.
_PIP_ARCHIVE_LINE = re.compile(r"^\s*(?:Saved|File was already downloaded) (.+)$")
_EXACT_SPEC = re.compile(r"^==\s*([^*,;\s]+)$")
# PEP 508 project names; anything else could reach pip as an option.
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")


class SdistDownloadError(RuntimeError):
    """pip could not fetch the source distribution (offline, no such version)."""


def check_package(package: str) -> str:
    """`package`, once it is a project name (a ValueError otherwise)."""
    if not _PACKAGE_NAME.fullmatch(package):
        raise ValueError(f"{package[:60]!r} is not a valid package name")
    return package


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
    *, package: str, spec: str | None, cache_dir: Path, timeout: float = 600
) -> Path:
    """Return the sdist archive for `package` matching `spec` (None: newest).

    An exact `==X` spec already in `cache_dir` needs no network. Otherwise pip
    resolves the spec, reusing a cached archive if it is the one it picks.
    """
    check_package(package)
    exact = _EXACT_SPEC.match(spec.strip()) if spec else None
    if exact:
        cached = _cached_archive(
            package=package, version=exact.group(1), cache_dir=cache_dir
        )
        if cached:
            return cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--no-binary", ":all:",
        # Newer Django releases require a newer Python than ours; we only read them.
        "--ignore-requires-python",
        "--disable-pip-version-check", "--progress-bar", "off",
        "-d", str(cache_dir),
        f"{package}{spec or ''}",
    ]  # fmt: skip
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SdistDownloadError(f"pip download timed out after {timeout}s") from exc
    output = "\n".join(text.strip() for text in (result.stdout, result.stderr))
    if result.returncode != 0:
        raise SdistDownloadError(
            f"pip download {package}{spec or ''} failed:\n{output}"
        )
    reported = [
        cache_dir / Path(match.group(1).strip()).name
        for line in output.splitlines()
        if (match := _PIP_ARCHIVE_LINE.match(line))
    ]
    archives = [path for path in reported if path.name.endswith(ARCHIVE_SUFFIX)]
    if not archives or not archives[-1].is_file():
        raise SdistDownloadError(
            f"pip reported no {ARCHIVE_SUFFIX} archive for {package}{spec or ''}:\n"
            f"{output}"
        )
    return archives[-1]


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
