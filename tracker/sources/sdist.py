"""Download a package's source distribution from PyPI and unpack it safely.

Shell code with the standard library only: it must run from the Makefile
before Django is configured, and it never imports Django.

    python -m tracker.sources.sdist django --spec "==5.2.*" --cache .cache/sdists

prints the path of the extracted tree and nothing else.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

ARCHIVE_SUFFIX = ".tar.gz"
# pip logs one of these for the archive it resolved, depending on the cache.
_PIP_ARCHIVE_LINE = re.compile(r"^\s*(?:Saved|File was already downloaded) (.+)$")
_EXACT_SPEC = re.compile(r"^==\s*([^*,;\s]+)$")


class SdistDownloadError(RuntimeError):
    """pip could not fetch the source distribution (offline, no such version)."""


class UnsafeArchiveError(ValueError):
    """The archive holds a member that must not be written to disk."""


# Extended headers (pax, GNU long names) hold a member's name and metadata:
# a few hundred bytes. tarfile reads each one whole into memory and parses
# it in copies, so a header of megabytes costs gigabytes; refuse it first.
MAX_HEADER_BYTES = 256 * 2**10
_EXTENDED_HEADERS = {
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
}


class _BoundedTarInfo(tarfile.TarInfo):
    """A TarInfo that refuses an oversized extended header before reading it.

    `_proc_member` is tarfile's (private) step that reads a header's data;
    `tarfile.open(tarinfo=...)` is the documented way to supply the class.
    """

    def _proc_member(self, tarfile_):
        if self.type in _EXTENDED_HEADERS and self.size > MAX_HEADER_BYTES:
            raise UnsafeArchiveError(
                f"an extended header of {self.size} bytes (more than"
                f" {MAX_HEADER_BYTES}) before member {self.name!r}"
            )
        return super()._proc_member(tarfile_)


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


def _check_link(*, member: tarfile.TarInfo, parts: tuple[str, ...]) -> None:
    target = PurePosixPath(member.linkname)
    # A symlink is relative to its own folder, a hard link to the archive root.
    base = PurePosixPath(*parts[:-1]) if member.issym() else PurePosixPath()
    resolved = os.path.normpath(base / target)
    if target.is_absolute() or resolved.split("/")[0] != parts[0]:
        raise UnsafeArchiveError(
            f"link {member.name!r} -> {member.linkname!r} leaves the tree"
        )


def _check_members(
    *, tar: tarfile.TarFile, max_members: int, max_bytes: int
) -> list[tarfile.TarInfo]:
    """Refuse the archive unless every member stays in one top-level folder.

    A hard link counts the size of its target: it is written as a full copy
    wherever links are not kept (and read as one by everything after).
    """
    members: list[tarfile.TarInfo] = []
    symlinks: set[tuple[str, ...]] = set()
    tops: set[str] = set()
    sizes: dict[str, int] = {}  # regular files and hard links, by name
    not_folders: set[tuple[str, ...]] = set()
    folders: set[tuple[str, ...]] = set()
    total = 0
    for member in tar:
        members.append(member)
        if len(members) > max_members:
            raise UnsafeArchiveError(
                f"more than {max_members} members (at {member.name!r})"
            )
        name = member.name
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            raise UnsafeArchiveError(f"member {name!r} has an absolute path")
        parts = PurePosixPath(name).parts
        if ".." in parts:
            raise UnsafeArchiveError(f"member {name!r} has a '..' component")
        if not parts:
            continue  # the archive root itself, "./"
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            raise UnsafeArchiveError(f"member {name!r} is a device or special file")
        if len(parts) == 1 and not member.isdir():
            raise UnsafeArchiveError(f"member {name!r} is not inside a folder")
        if any(parts[:depth] in symlinks for depth in range(1, len(parts))):
            raise UnsafeArchiveError(f"member {name!r} is inside a symlink")
        if any(part.casefold() == ".git" for part in parts):
            # git never records a path through a .git folder: it would be
            # dropped from the release without a word.
            raise UnsafeArchiveError(f"member {name!r} is inside a .git folder")
        _check_file_or_folder(
            name=name, parts=parts, is_dir=member.isdir(),
            not_folders=not_folders, folders=folders,
        )  # fmt: skip
        if member.issym() or member.islnk():
            _check_link(member=member, parts=parts)
        if member.issym():
            symlinks.add(parts)
        tops.add(parts[0])
        size = 0
        if member.isfile():
            size = member.size
        elif member.islnk():
            size = sizes.get(os.path.normpath(member.linkname), 0)
        if member.isfile() or member.islnk():
            sizes[os.path.normpath(name)] = size
        total += size
        if total > max_bytes:
            raise UnsafeArchiveError(
                f"members exceed {max_bytes} bytes uncompressed (at {name!r})"
            )
    if len(tops) != 1:
        raise UnsafeArchiveError(
            f"expected one top-level folder, found {sorted(tops) or 'none'}"
        )
    return members


def _check_file_or_folder(
    *,
    name: str,
    parts: tuple[str, ...],
    is_dir: bool,
    not_folders: set[tuple[str, ...]],
    folders: set[tuple[str, ...]],
) -> None:
    """Refuse a name that is a file (or link) in one member, a folder in another."""
    above = [parts[:depth] for depth in range(1, len(parts))]
    if any(folder in not_folders for folder in above) or (
        not is_dir and parts in folders
    ):
        raise UnsafeArchiveError(f"member {name!r} is both a file and a folder")
    folders.update(above)
    if is_dir:
        folders.add(parts)
    else:
        not_folders.add(parts)


def _check_symlinks_on_disk(*, tree: Path) -> None:
    # Lexical checks miss a link that walks through another link ("d -> ." then
    # "l -> d/../x"); the file system knows where each one really lands.
    root = tree.resolve()
    for dirpath, dirnames, filenames in os.walk(tree):
        for entry in (*dirnames, *filenames):
            path = Path(dirpath, entry)
            if not path.is_symlink():
                continue
            # realpath, unlike Path.resolve, tolerates a link that loops.
            if not Path(os.path.realpath(path)).is_relative_to(root):
                raise UnsafeArchiveError(
                    f"link {str(path.relative_to(tree))!r} resolves outside the tree"
                )


def extract_sdist(
    *,
    archive: Path,
    dest_dir: Path,
    max_members: int = 20000,
    max_bytes: int = 300 * 2**20,
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
    if target.is_dir():
        return target
    dest_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=dest_dir))
    try:
        with tarfile.open(archive, mode="r:gz", tarinfo=_BoundedTarInfo) as tar:
            members = _check_members(
                tar=tar, max_members=max_members, max_bytes=max_bytes
            )
            # The "data" filter re-checks paths and links and drops odd modes.
            try:
                tar.extractall(staging, members=members, filter="data")
            except tarfile.FilterError as exc:
                # A link that leaves through another link, found on disk.
                raise UnsafeArchiveError(f"{archive.name}: {exc}") from exc
        (top,) = staging.iterdir()
        _check_symlinks_on_disk(tree=top)
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
    parser.add_argument("--cache", type=Path, default=Path(".cache/sdists"))
    args = parser.parse_args(argv)
    try:
        tree = fetch_tree(package=args.package, spec=args.spec, cache_dir=args.cache)
    except (SdistDownloadError, ValueError, OSError, tarfile.TarError) as exc:
        print(f"tracker.sources.sdist: {exc}", file=sys.stderr)
        return 1
    print(tree)
    return 0


if __name__ == "__main__":
    sys.exit(main())
