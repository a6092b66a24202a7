"""`import_releases` on bad input: one line, rc 1, nothing half-written.

Each archive is an sdist in a local cache, so no network is needed; each
fails with a CommandError naming the release, leaves no tag in the mirror
and no extracted tree in the cache (it would fail the same way for ever).
"""

import io
import tarfile
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from tracker.models import Project
from tracker.scanning.mirrors import mirror_open
from tracker.sources import pypi

pytestmark = pytest.mark.django_db(transaction=True)

TOP = "django-1.0"
RELEASE_DATE = 1_700_000_000


def member(name: str, data: bytes | None = b"x = 1\n", **attrs):
    info = tarfile.TarInfo(f"{TOP}/{name}" if name else TOP)
    info.mtime = RELEASE_DATE
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    return info, data


def symlink(name: str, target: str):
    return member(name, None, type=tarfile.SYMTYPE, linkname=target, mode=0o777)


BASE = [member("", None), member("PKG-INFO", b"Name: Django\n")]

BAD_ARCHIVES = {
    "newline-in-a-name": ([member("django/a\nb.py")], "control character"),
    "undecodable-name": ([member("django/\udcff.py")], "not valid UTF-8"),
    "date-git-refuses": (
        [member("django/__init__.py"), member("PKG-INFO", b"x", mtime=0)],
        "git cannot record the date",
    ),
    "no-django-folder": ([member("other/x.py")], "the sdist has no folder django/$"),
    # A src layout where the project says a flat one: the folder it has named.
    "src-layout": (
        [member("src/django/__init__.py")],
        "no folder django/; it has src/django/: set the package folder to src/django",
    ),
    "link-out-through-an-in-tree-link": (
        [
            member("django/__init__.py"),
            symlink("django/up", ".."),
            symlink("django/esc", "up/../../etc/passwd"),
        ],
        "outside",  # "the destination" with tarfile's filters, else "the tree"
    ),
    "file-and-folder-of-one-name": (
        [member("django/a"), member("django/a/b.py")],
        "both a file and a folder",
    ),
    "git-folder": ([member("django/.git/config", b"[core]\n")], ".git folder"),
    # The 277-byte archive ended in a RecursionError traceback.
    "a-name-deep-in-folders": (
        [member("django/" + "a/" * 3000 + "x.py")],
        "longer than 1024 bytes",
    ),
}


@pytest.fixture
def django(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    settings.SDIST_CACHE_DIR = tmp_path / "sdists"
    settings.SDIST_CACHE_DIR.mkdir()
    # Transactional tests flush the seeded row; seed it again as the migration does.
    import_module("tracker.migrations.0002_seed_django").seed(apps, None)
    return Project.objects.get(slug="django")


@pytest.fixture
def no_pypi(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("PyPI was asked")

    monkeypatch.setattr(pypi, "pypi_versions", refuse)
    monkeypatch.setattr(pypi, "download_sdist", refuse)


def write_sdist(cache: Path, members) -> Path:
    path = cache / f"{TOP}.tar.gz"
    # GNU format keeps an undecodable name as its raw bytes.
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


@pytest.mark.parametrize("case", BAD_ARCHIVES.keys())
def test_a_bad_archive_is_one_line_and_leaves_nothing(django, settings, case):
    members, message = BAD_ARCHIVES[case]
    # A case's member replaces the base's of the same name.
    by_name = {info.name: (info, data) for info, data in [*BASE, *members]}
    archive = write_sdist(settings.SDIST_CACHE_DIR, list(by_name.values()))

    with pytest.raises(CommandError, match=message) as raised:
        call_command("import_releases", "1.0")

    assert str(raised.value).startswith("django 1.0: ")
    assert "\n" not in str(raised.value)
    with mirror_open(django, from_pypi=True) as mirror:
        assert mirror.tags(r".+") == []
    assert list(settings.SDIST_CACHE_DIR.iterdir()) == [archive]


def test_a_truncated_archive_is_one_line_and_leaves_nothing(django, settings):
    """It raised EOFError from gzip, past every except clause."""
    archive = write_sdist(
        settings.SDIST_CACHE_DIR,
        [*BASE, *(member(f"django/m{i}.py", bytes(range(256)) * 64) for i in range(9))],
    )
    archive.write_bytes(archive.read_bytes()[:-2000])

    with pytest.raises(CommandError, match="cannot be read") as raised:
        call_command("import_releases", "1.0")

    assert str(raised.value).startswith("django 1.0: ")
    assert "\n" not in str(raised.value)
    with mirror_open(django, from_pypi=True) as mirror:
        assert mirror.tags(r".+") == []
    assert list(settings.SDIST_CACHE_DIR.iterdir()) == [archive]


def test_a_good_archive_beside_them_imports(django, settings):
    """The same builder with nothing wrong: the cases fail for their fault."""
    write_sdist(settings.SDIST_CACHE_DIR, [*BASE, member("django/__init__.py")])
    call_command("import_releases", "1.0")
    with mirror_open(django, from_pypi=True) as mirror:
        assert [tag.name for tag in mirror.tags(r".+")] == ["1.0"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["../../x"], r"^'../../x' is not a release version"),
        (["1.0; rm -rf"], r"^'1.0; rm -rf' is not a release version"),
        (["--feature-releases-since", "abc"], r"^--feature-releases-since: 'abc'"),
        # int() refuses 5,000 digits with a ValueError packaging lets through.
        (["1" * 5000], r"^'1111.*\.\.\. is not a release version"),
        (["1.1234567"], r"^'1.1234567' is not a release version"),
        (["--feature-releases-since", "9" * 5000], r"^--feature-releases-since: "),
        (["1.0", "--project", "no\x00such"], r"^--project: 'no\\x00such' is not a"),
    ],
)
def test_an_invalid_version_is_refused_before_anything_runs(
    django, no_pypi, args, message
):
    with pytest.raises(CommandError, match=message) as raised:
        call_command("import_releases", *args)
    assert "\n" not in str(raised.value)
    assert len(str(raised.value)) < 200
    with mirror_open(django, from_pypi=True) as mirror:
        assert mirror.tags(r".+") == []
