import gzip
import io
import os
import tarfile
from pathlib import Path

import pytest

from tracker.sources import sdist
from tracker.sources.archives import Limits
from tracker.sources.sdist import (
    UnsafeArchiveError,
    download_sdist,
    extract_sdist,
)

TOP = "pkg-1.0"


def _file(name: str, data: bytes = b"x = 1\n") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _dir(name: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return info, None


def _link(name: str, target: str, *, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def _device(name: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    return info, None


def _with_pax(member, **headers: str) -> tuple[tarfile.TarInfo, bytes | None]:
    info, data = member
    info.pax_headers = headers
    return info, data


def _archive(
    path: Path, *members: tuple[tarfile.TarInfo, bytes | None], **options
) -> Path:
    with tarfile.open(path, mode="w:gz", **options) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _raw(path: Path, *blocks: bytes) -> Path:
    """An archive of hand-made blocks, for headers tarfile would not write."""
    path.write_bytes(gzip.compress(b"".join(blocks) + b"\0" * 1024))
    return path


def _header(info: tarfile.TarInfo, data: bytes = b"") -> bytes:
    padding = b"\0" * (-len(data) % tarfile.BLOCKSIZE)
    return info.tobuf(tarfile.GNU_FORMAT) + data + padding


def _pax_header(records: bytes, *, kind: bytes = tarfile.XHDTYPE) -> bytes:
    info = tarfile.TarInfo("././@PaxHeader")
    info.type, info.size = kind, len(records)
    return _header(info, records)


def _record(key: str, value: str) -> bytes:
    """One pax record: its length counts itself."""
    body = f" {key}={value}\n".encode()
    length = len(body) + 1
    while len(body) + len(str(length)) != length:
        length = len(body) + len(str(length))
    return str(length).encode() + body


def _sized(name: str, size: int) -> bytes:
    """A member header claiming `size` (negative: base-256), with no data."""
    info = tarfile.TarInfo(name)
    info.size = size
    return info.tobuf(tarfile.GNU_FORMAT)


def _sparse(name: str) -> bytes:
    info = tarfile.TarInfo(name)
    info.type = tarfile.GNUTYPE_SPARSE
    return info.tobuf(tarfile.GNU_FORMAT)


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """An archive path and an extraction folder, both inside tmp_path."""
    return tmp_path / f"{TOP}.tar.gz", tmp_path / "dest"


def test_extracts_a_normal_tree_and_reuses_it(layout: tuple[Path, Path]) -> None:
    """A well-formed sdist lands in dest/<name> with in-tree links intact."""
    archive, dest = layout
    _archive(
        archive,
        _dir(TOP),
        _dir(f"{TOP}/pkg"),
        _file(f"{TOP}/pkg/__init__.py"),
        _file(f"{TOP}/setup.cfg", b"[metadata]\n"),
        _link(f"{TOP}/alias.py", "pkg/__init__.py", kind=tarfile.SYMTYPE),
        _link(f"{TOP}/copy.py", f"{TOP}/pkg/__init__.py", kind=tarfile.LNKTYPE),
    )

    tree = extract_sdist(archive=archive, dest_dir=dest)

    assert tree == dest / TOP
    assert (tree / "pkg" / "__init__.py").read_bytes() == b"x = 1\n"
    assert (tree / "alias.py").read_bytes() == b"x = 1\n"
    assert (tree / "copy.py").read_bytes() == b"x = 1\n"
    assert [path.name for path in dest.iterdir()] == [TOP]
    archive.unlink()
    assert extract_sdist(archive=archive, dest_dir=dest) == tree


UNSAFE = {
    "parent": ([_file("../evil")], "'..' component"),
    "nested-parent": ([_dir(TOP), _file(f"{TOP}/../../evil")], "'..' component"),
    "symlink-out": (
        [_dir(TOP), _link(f"{TOP}/link", "../../evil", kind=tarfile.SYMTYPE)],
        "leaves the tree",
    ),
    "symlink-absolute": (
        [_dir(TOP), _link(f"{TOP}/link", "/etc/passwd", kind=tarfile.SYMTYPE)],
        "leaves the tree",
    ),
    "symlink-to-sibling": (
        [_dir(TOP), _link(f"{TOP}/link", "..", kind=tarfile.SYMTYPE)],
        "leaves the tree",
    ),
    "hardlink-out": (
        [_dir(TOP), _link(f"{TOP}/hard", "../outside.txt", kind=tarfile.LNKTYPE)],
        "leaves the tree",
    ),
    "write-through-symlink": (
        [
            _dir(TOP),
            _link(f"{TOP}/d", "sub", kind=tarfile.SYMTYPE),
            _file(f"{TOP}/d/x.py"),
        ],
        "inside a symlink",
    ),
    # Each link looks harmless alone; only the file system sees "l" escape.
    "symlink-chain": (
        [
            _dir(TOP),
            _link(f"{TOP}/d", ".", kind=tarfile.SYMTYPE),
            _link(f"{TOP}/l", "d/../escape", kind=tarfile.SYMTYPE),
        ],
        "resolves outside the tree",
    ),
    "device": (
        [_dir(TOP), _device(f"{TOP}/dev")],
        "device or special file",
    ),
    # "up" is a folder of the tree; "esc" reads as TOP/etc/passwd lexically.
    "link-out-through-an-in-tree-link": (
        [
            _dir(TOP),
            _dir(f"{TOP}/pkg"),
            _link(f"{TOP}/pkg/up", "..", kind=tarfile.SYMTYPE),
            _link(f"{TOP}/pkg/esc", "up/../../etc/passwd", kind=tarfile.SYMTYPE),
        ],
        "outside",  # "the destination" with filters, else "the tree"
    ),
    "file-then-folder": (
        [_dir(TOP), _file(f"{TOP}/pkg"), _file(f"{TOP}/pkg/x.py")],
        "both a file and a folder",
    ),
    "folder-then-file": (
        [_dir(TOP), _file(f"{TOP}/pkg/x.py"), _file(f"{TOP}/pkg")],
        "both a file and a folder",
    ),
    "git-folder": (
        [_dir(TOP), _file(f"{TOP}/pkg/.git/config", b"[core]\n")],
        "inside a .git folder",
    ),
    "pax-header-bomb": (
        [_dir(TOP), _with_pax(_file(f"{TOP}/x.py"), comment="x" * 2**20)],
        "extended header of",
    ),
    "two-tops": ([_dir(TOP), _dir("other")], "one top-level folder"),
    "top-level-file": ([_file("setup.py")], "not inside a folder"),
    # Each header under the cap, 2.4 MiB of them in all (the archive:
    # 6,000 headers of 250 KiB took 1.49 GB).
    "pax-headers-in-total": (
        [
            _dir(TOP),
            *(_with_pax(_file(f"{TOP}/m{i}.py"), c="x" * 60_000) for i in range(40)),
        ],
        "extended headers of",
    ),
    # The 277-byte archive: quadratic checks, then a RecursionError.
    "deep-name": ([_dir(TOP), _file(f"{TOP}/" + "a/" * 100 + "x.py")], "deep"),
    "long-name": ([_dir(TOP), _file(f"{TOP}/" + "a/" * 5000 + "x.py")], "longer than"),
    "long-link-target": (
        [_dir(TOP), _link(f"{TOP}/l", "t" * 2000, kind=tarfile.SYMTYPE)],
        "longer than",
    ),
    "nul-in-a-name": (
        [_dir(TOP), _with_pax(_file(f"{TOP}/a.py"), path=f"{TOP}/a\0b.py")],
        "NUL byte",
    ),
    "time-out-of-range": (
        [_dir(TOP), _with_pax(_file(f"{TOP}/x.py"), mtime="1e400")],
        "modification time out of range",
    ),
    "same-name-twice": (
        [_dir(TOP), _file(f"{TOP}/x.py"), _file(f"{TOP}/x.py", b"y = 2\n")],
        "appears twice",
    ),
    # Lexically "l" stays in the tree; on disk it leaves it through "d", and
    # a file of the same name after it would be written there.
    "file-written-through-its-own-link": (
        [
            _dir(TOP),
            _link(f"{TOP}/a/b/d", "../..", kind=tarfile.SYMTYPE),
            _link(f"{TOP}/a/b/l", "d/../../../escaped", kind=tarfile.SYMTYPE),
            _file(f"{TOP}/a/b/l", b"written outside\n"),
        ],
        "appears twice",
    ),
    "hard-link-to-a-symlink": (
        [
            _dir(TOP),
            _file(f"{TOP}/x.py"),
            _link(f"{TOP}/s", "x.py", kind=tarfile.SYMTYPE),
            _link(f"{TOP}/h", f"{TOP}/s", kind=tarfile.LNKTYPE),
        ],
        "names no earlier file",
    ),
    "hard-link-before-its-file": (
        [
            _dir(TOP),
            _link(f"{TOP}/h", f"{TOP}/x.py", kind=tarfile.LNKTYPE),
            _file(f"{TOP}/x.py"),
        ],
        "names no earlier file",
    ),
    "hard-link-through-dot-dot": (
        [
            _dir(TOP),
            _file(f"{TOP}/x.py"),
            _link(f"{TOP}/h", f"{TOP}/pkg/../x.py", kind=tarfile.LNKTYPE),
        ],
        "leaves the tree",
    ),
}

# Headers tarfile would not write: (blocks, what the refusal says).
RAW_UNSAFE = {
    # tarfile reads a run of extended headers by recursion.
    "headers-in-a-row": (
        [
            *(_pax_header(_record("comment", "x")) for _ in range(3000)),
            _sized(f"{TOP}/x", 0),
        ],
        "in a row",
    ),
    "global-header": (
        [
            _pax_header(_record("comment", "x" * 8000), kind=tarfile.XGLTYPE),
            _sized(f"{TOP}/x", 0),
        ],
        "global headers of",
    ),
    # A negative size moves tarfile's offset backwards: it reads for ever.
    "negative-size": ([_sized(f"{TOP}/x", -1024)], "size < 0"),
    "sparse-member": ([_sparse(f"{TOP}/x")], "sparse file"),
    # Version 1.0 maps are read until a newline: for ever past the end.
    "pax-sparse-map": (
        [
            _pax_header(
                _record("GNU.sparse.major", "1") + _record("GNU.sparse.minor", "0")
            ),
            _sized(f"{TOP}/x", 512),
            b"9" * 512,
        ],
        "sparse file",
    ),
}


def _write_case(archive: Path, case: str) -> str:
    """Write the hostile archive `case` of UNSAFE or RAW_UNSAFE; its message."""
    if case in RAW_UNSAFE:
        blocks, message = RAW_UNSAFE[case]
        _raw(archive, *blocks)
    else:
        members, message = UNSAFE[case]
        _archive(archive, *members)
    return message


HAS_FILTERS = hasattr(tarfile, "data_filter")  # Python 3.11.4 and later


@pytest.fixture(
    params=["with filters", "without filters"] if HAS_FILTERS else ["without filters"]
)
def interpreter(request, monkeypatch) -> str:
    """This Python, and one like Debian 12's 3.11.2, whose tarfile has no
    extraction filters (`make test-system-python` runs them on that one)."""
    if request.param == "without filters" and HAS_FILTERS:
        monkeypatch.delattr(tarfile, "data_filter")
        monkeypatch.delattr(tarfile, "FilterError")
        extractall = tarfile.TarFile.extractall

        def extractall_of_3_11_2(self, path=".", members=None, *, numeric_owner=False):
            return extractall(self, path, members, numeric_owner=numeric_owner)

        monkeypatch.setattr(tarfile.TarFile, "extractall", extractall_of_3_11_2)
    return request.param


@pytest.mark.parametrize("case", [*UNSAFE, *RAW_UNSAFE])
def test_refuses_unsafe_member(
    layout: tuple[Path, Path], case: str, interpreter: str
) -> None:
    """A hostile member fails the whole archive and writes nothing anywhere."""
    archive, dest = layout
    message = _write_case(archive, case)

    with pytest.raises(UnsafeArchiveError, match=message) as refused:
        extract_sdist(archive=archive, dest_dir=dest)

    assert "\n" not in str(refused.value)
    assert len(str(refused.value)) < 300
    assert list(dest.iterdir()) == []
    assert sorted(path.name for path in archive.parent.iterdir()) == [
        "dest",
        archive.name,
    ]


def test_modes_and_owners_are_the_data_filters(
    layout: tuple[Path, Path], interpreter: str
) -> None:
    """No set-id bits, nobody else writes, the owner reads and writes; with
    or without tarfile's filters."""
    archive, dest = layout
    modes = {"setuid": 0o4777, "group-write": 0o664, "exec": 0o775, "none": 0o000}
    members = []
    for name, mode in modes.items():
        info, data = _file(f"{TOP}/{name}")
        info.mode, info.uid, info.gid = mode, 4242, 4242
        members.append((info, data))
    _archive(archive, _dir(TOP), *members)

    tree = extract_sdist(archive=archive, dest_dir=dest)

    found = {name: (tree / name).stat().st_mode & 0o7777 for name in modes}
    assert found == {
        "setuid": 0o755,
        "group-write": 0o644,
        "exec": 0o755,
        "none": 0o600,
    }
    assert {(tree / name).stat().st_uid for name in modes} == {os.getuid()}


def _good_archive(path: Path) -> bytes:
    _archive(
        path, _dir(TOP), *(_file(f"{TOP}/m{i}.py", os.urandom(4000)) for i in range(8))
    )
    return path.read_bytes()


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flipped(data: bytes) -> bytes:
    """A byte of the compressed stream changed: zlib finds it or the CRC does."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


def _trailing_garbage(data: bytes) -> bytes:
    return data + b"not gzip"


@pytest.mark.parametrize("damage", [_truncated, _flipped, _trailing_garbage])
def test_a_damaged_archive_is_refused_in_one_line(
    layout: tuple[Path, Path], damage
) -> None:
    """A truncated .tar.gz raised EOFError, a corrupt one zlib.error."""
    archive, dest = layout
    archive.write_bytes(damage(_good_archive(archive)))

    with pytest.raises(UnsafeArchiveError, match="cannot be read") as refused:
        extract_sdist(archive=archive, dest_dir=dest)

    assert "\n" not in str(refused.value)
    assert list(dest.iterdir()) == []


def test_an_archive_that_is_a_fifo_is_refused_not_waited_on(
    layout: tuple[Path, Path],
) -> None:
    archive, dest = layout
    os.mkfifo(archive)

    with pytest.raises(UnsafeArchiveError, match="not a regular file"):
        extract_sdist(archive=archive, dest_dir=dest)


def test_an_archive_over_its_size_limit_is_refused(layout: tuple[Path, Path]) -> None:
    archive, dest = layout
    size = len(_good_archive(archive))

    with pytest.raises(UnsafeArchiveError, match=f"{size} bytes, more than 1000"):
        extract_sdist(archive=archive, dest_dir=dest, limits=Limits(archive_bytes=1000))


def test_refuses_absolute_member(layout: tuple[Path, Path]) -> None:
    """An absolute member name is refused before it is written."""
    archive, dest = layout
    outside = archive.parent / "absolute-evil"
    _archive(archive, _file(str(outside)))

    with pytest.raises(UnsafeArchiveError, match="absolute path"):
        extract_sdist(archive=archive, dest_dir=dest)

    assert not outside.exists()
    assert list(dest.iterdir()) == []


def test_refuses_too_many_members(layout: tuple[Path, Path]) -> None:
    archive, dest = layout
    _archive(archive, _dir(TOP), *(_file(f"{TOP}/m{i}.py") for i in range(5)))

    with pytest.raises(UnsafeArchiveError, match="more than 3 members"):
        extract_sdist(archive=archive, dest_dir=dest, limits=Limits(members=3))

    assert list(dest.iterdir()) == []


def test_refuses_too_many_bytes(layout: tuple[Path, Path]) -> None:
    archive, dest = layout
    _archive(
        archive, _dir(TOP), _file(f"{TOP}/a", b"a" * 60), _file(f"{TOP}/b", b"b" * 60)
    )

    with pytest.raises(UnsafeArchiveError, match="exceed 100 bytes"):
        extract_sdist(archive=archive, dest_dir=dest, limits=Limits(bytes=100))

    assert list(dest.iterdir()) == []


def test_hard_links_count_the_size_of_their_target(
    layout: tuple[Path, Path],
) -> None:
    """One module of 1 KiB and 200 hard links to it are 201 KiB of files."""
    archive, dest = layout
    _archive(
        archive,
        _dir(TOP),
        _file(f"{TOP}/big.py", b"x" * 1024),
        *(
            _link(f"{TOP}/copy{i}.py", f"{TOP}/big.py", kind=tarfile.LNKTYPE)
            for i in range(200)
        ),
    )

    with pytest.raises(UnsafeArchiveError, match="exceed 102400 bytes"):
        extract_sdist(archive=archive, dest_dir=dest, limits=Limits(bytes=100 * 1024))

    assert list(dest.iterdir()) == []


def _no_index(*args: object, **kwargs: object) -> None:
    raise AssertionError("the index should not be asked")


def test_exact_spec_in_cache_skips_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An archive already cached for an exact version needs no network."""
    cached = tmp_path / "django-5.2.19.tar.gz"
    cached.touch()
    monkeypatch.setattr(sdist.simple_index, "project_sdists", _no_index)

    found = download_sdist(package="Django", spec="==5.2.19", cache_dir=tmp_path)

    assert found == cached


def test_cli_prints_only_the_tree_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    _archive(tmp_path / f"{TOP}.tar.gz", _dir(TOP), _file(f"{TOP}/setup.py"))
    monkeypatch.setattr(sdist.simple_index, "project_sdists", _no_index)

    status = sdist.main(["pkg", "--spec", "==1.0", "--cache", str(tmp_path)])

    assert status == 0
    assert capsys.readouterr().out == f"{tmp_path.resolve() / TOP}\n"


@pytest.mark.parametrize("package", ["--index-url=https://evil.invalid/", "-e.", ""])
def test_an_option_like_package_never_reaches_pip(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    package,
) -> None:
    monkeypatch.setattr(sdist.simple_index, "project_sdists", _no_index)

    assert sdist.main(["--cache", str(tmp_path), "--", package]) == 1

    assert "is not a valid package name" in capsys.readouterr().err


@pytest.mark.realdata
def test_fetch_tree_gets_django_52(django52_tree: Path) -> None:
    """The real Django 5.2 sdist downloads and unpacks into the shared cache."""
    assert django52_tree.name.startswith("django-5.2.")
    assert (django52_tree / "django" / "__init__.py").is_file()
    assert (django52_tree / "tests").is_dir()


@pytest.mark.realdata
def test_a_real_sdist_unpacks_alike_on_every_python(django52_tree: Path, tmp_path):
    """Unpacked afresh here (on Debian's 3.11.2 too, without filters), Django
    5.2 gives the files, links and modes of the shared tree."""
    archive = django52_tree.parent / f"{django52_tree.name}.tar.gz"  # its source

    fresh = extract_sdist(archive=archive, dest_dir=tmp_path)

    def listing(tree: Path) -> dict[str, int]:
        return {
            path.relative_to(tree).as_posix(): path.lstat().st_mode
            for path in tree.rglob("*")
        }

    assert listing(fresh) == listing(django52_tree)
    assert len(listing(fresh)) > 9000
