import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from tracker.sources import sdist
from tracker.sources.sdist import (
    SdistDownloadError,
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


def _archive(path: Path, *members: tuple[tarfile.TarInfo, bytes | None]) -> Path:
    with tarfile.open(path, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


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
        "outside the destination",
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
}


@pytest.mark.parametrize("case", UNSAFE.keys())
def test_refuses_unsafe_member(layout: tuple[Path, Path], case: str) -> None:
    """A hostile member fails the whole archive and writes nothing anywhere."""
    archive, dest = layout
    members, message = UNSAFE[case]
    _archive(archive, *members)

    with pytest.raises(UnsafeArchiveError, match=message):
        extract_sdist(archive=archive, dest_dir=dest)

    assert list(dest.iterdir()) == []
    assert sorted(path.name for path in archive.parent.iterdir()) == [
        "dest",
        archive.name,
    ]


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
        extract_sdist(archive=archive, dest_dir=dest, max_members=3)

    assert list(dest.iterdir()) == []


def test_refuses_too_many_bytes(layout: tuple[Path, Path]) -> None:
    archive, dest = layout
    _archive(
        archive, _dir(TOP), _file(f"{TOP}/a", b"a" * 60), _file(f"{TOP}/b", b"b" * 60)
    )

    with pytest.raises(UnsafeArchiveError, match="exceed 100 bytes"):
        extract_sdist(archive=archive, dest_dir=dest, max_bytes=100)

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
        extract_sdist(archive=archive, dest_dir=dest, max_bytes=100 * 1024)

    assert list(dest.iterdir()) == []


def _no_pip(*args: object, **kwargs: object) -> None:
    raise AssertionError("pip should not run")


def test_exact_spec_in_cache_skips_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An archive already cached for an exact version needs no network."""
    cached = tmp_path / "django-5.2.19.tar.gz"
    cached.touch()
    monkeypatch.setattr(sdist.subprocess, "run", _no_pip)

    found = download_sdist(package="Django", spec="==5.2.19", cache_dir=tmp_path)

    assert found == cached


@pytest.mark.parametrize(
    "line", ["Saved ./cache/django-6.1.3.tar.gz", "  File was already downloaded {}"]
)
def test_wildcard_spec_uses_the_archive_pip_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    archive = tmp_path / "django-6.1.3.tar.gz"
    archive.touch()
    (tmp_path / "django-6.0.tar.gz").touch()
    stdout = f"Collecting django\n{line.format(archive)}\nSuccessfully downloaded\n"

    def fake_run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        assert command[-1] == "django==6.1.*"
        return subprocess.CompletedProcess(command, 0, stdout=stdout, stderr="")

    monkeypatch.setattr(sdist.subprocess, "run", fake_run)

    found = download_sdist(package="django", spec="==6.1.*", cache_dir=tmp_path)

    assert found == archive


def test_pip_failure_raises_download_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess(command, 1, stdout="", stderr="ERROR: x")

    monkeypatch.setattr(sdist.subprocess, "run", fake_run)

    with pytest.raises(SdistDownloadError, match="ERROR: x"):
        download_sdist(package="django", spec=None, cache_dir=tmp_path)


def test_cli_prints_only_the_tree_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    _archive(tmp_path / f"{TOP}.tar.gz", _dir(TOP), _file(f"{TOP}/setup.py"))
    monkeypatch.setattr(sdist.subprocess, "run", _no_pip)

    status = sdist.main(["pkg", "--spec", "==1.0", "--cache", str(tmp_path)])

    assert status == 0
    assert capsys.readouterr().out == f"{tmp_path.resolve() / TOP}\n"


@pytest.mark.realdata
def test_fetch_tree_gets_django_52(django52_tree: Path) -> None:
    """The real Django 5.2 sdist downloads and unpacks into the shared cache."""
    assert django52_tree.name.startswith("django-5.2.")
    assert (django52_tree / "django" / "__init__.py").is_file()
    assert (django52_tree / "tests").is_dir()
