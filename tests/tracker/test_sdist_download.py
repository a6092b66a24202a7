"""Sdists downloaded from a real PEP 691 index on 127.0.0.1, nothing in them run.

Each test serves its own index with http.server in a thread: project pages
as PEP 691 JSON and the archives, as PyPI and files.pythonhosted.org do.
"""

import hashlib
import http.server
import io
import json
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.sources import sdist, simple_index
from tracker.sources.git import Mirror
from tracker.sources.pypi import import_releases, pypi_versions
from tracker.sources.sdist import SdistDownloadError, download_sdist, extract_sdist

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def _sdist_bytes(name: str, version: str, setup_py: str = "") -> bytes:
    top = f"{name}-{version}"
    members = {
        f"{top}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{top}/{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{top}/setup.py": setup_py or "from setuptools import setup\nsetup()\n",
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class Index:
    """A project page per name, and files, served on 127.0.0.1."""

    url: str = ""
    pages: dict[str, list[dict]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)
    trickle: set[str] = field(default_factory=set)

    def add(
        self,
        name: str,
        version: str,
        data: bytes | None = None,
        *,
        filename: str | None = None,
        **entry,
    ) -> bytes:
        data = _sdist_bytes(name, version) if data is None else data
        filename = filename or f"{name}-{version}.tar.gz"
        self.files[filename] = data
        listed = {
            "filename": filename,
            "url": f"../../files/{filename}",
            "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
            "size": len(data),
            "yanked": False,
            **entry,
        }
        self.pages.setdefault(name, []).append(listed)
        return data


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch) -> Iterator[Index]:
    served = Index()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests.append(self.path)
            parts = self.path.strip("/").split("/")
            if parts[0] == "simple" and len(parts) == 2 and parts[1] in served.pages:
                files = served.pages[parts[1]]
                body = json.dumps(
                    {"meta": {"api-version": "1.1"}, "name": parts[1], "files": files}
                ).encode()
                self._answer(body, JSON_TYPE)
            elif parts[0] == "files" and parts[1] in served.redirects:
                self.send_response(302)
                self.send_header("Location", served.redirects[parts[1]])
                self.end_headers()
            elif parts[0] == "files" and len(parts) == 2 and parts[1] in served.files:
                data = served.files[parts[1]]
                if parts[1] in served.trickle:
                    self._trickle(data)
                else:
                    self._answer(data, "application/octet-stream")
            else:
                self.send_error(404)

        def _answer(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _trickle(self, body: bytes) -> None:
            """A slow server: the body in ten parts, 0.3 s apart."""
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            step = len(body) // 10 + 1
            for start in range(0, len(body), step):
                self.wfile.write(body[start : start + step])
                self.wfile.flush()
                time.sleep(0.3)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    monkeypatch.setenv("ASYNCDASH_PYPI_INDEX_URL", served.url)
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


def test_picks_the_newest_final_release_matching_the_spec(
    index: Index, tmp_path: Path
) -> None:
    for version in ("1.0", "1.1", "1.1.2", "1.2rc1", "2.0"):
        index.add("pkg", version)
    wanted = index.files["pkg-1.1.2.tar.gz"]

    found = download_sdist(package="pkg", spec="==1.1.*", cache_dir=tmp_path)

    assert found == tmp_path / "pkg-1.1.2.tar.gz"
    assert found.read_bytes() == wanted
    assert [p.name for p in tmp_path.iterdir()] == ["pkg-1.1.2.tar.gz"]


def test_prereleases_only_when_the_spec_names_one(index: Index, tmp_path: Path) -> None:
    for version in ("1.0", "1.1rc1"):
        index.add("pkg", version)

    newest = download_sdist(package="pkg", spec=None, cache_dir=tmp_path)
    named = download_sdist(package="pkg", spec="==1.1rc1", cache_dir=tmp_path)

    assert (newest.name, named.name) == ("pkg-1.0.tar.gz", "pkg-1.1rc1.tar.gz")


def test_an_exact_version_in_the_cache_needs_no_index(
    index: Index, tmp_path: Path
) -> None:
    cached = tmp_path / "pkg-1.0.tar.gz"
    cached.write_bytes(b"cached")

    assert download_sdist(package="pkg", spec="==1.0", cache_dir=tmp_path) == cached
    assert index.requests == []


def test_a_cached_archive_with_the_right_hash_is_reused(
    index: Index, tmp_path: Path
) -> None:
    data = index.add("pkg", "1.0")
    (tmp_path / "pkg-1.0.tar.gz").write_bytes(data)

    download_sdist(package="pkg", spec=">=1", cache_dir=tmp_path)

    assert index.requests == ["/simple/pkg/"]


def test_a_bad_hash_is_refused_and_nothing_is_left(
    index: Index, tmp_path: Path
) -> None:
    index.add("pkg", "1.0", hashes={"sha256": "0" * 64})

    with pytest.raises(SdistDownloadError, match="sha256 .* is not the index's 0000"):
        download_sdist(package="pkg", spec="==1.0", cache_dir=tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_a_file_without_a_sha256_is_refused(index: Index, tmp_path: Path) -> None:
    index.add("pkg", "1.0", hashes={"md5": "0" * 32})

    with pytest.raises(SdistDownloadError, match="no sha256 for pkg-1.0.tar.gz"):
        download_sdist(package="pkg", spec="==1.0", cache_dir=tmp_path)

    assert index.requests == ["/simple/pkg/"]


def test_a_file_larger_than_listed_is_refused(index: Index, tmp_path: Path) -> None:
    data = index.add("pkg", "1.0")
    index.pages["pkg"][0]["size"] = len(data) - 1

    with pytest.raises(SdistDownloadError, match="larger than"):
        download_sdist(package="pkg", spec="==1.0", cache_dir=tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_a_file_larger_than_the_archive_limit_is_refused(
    index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listed size above the limit does not raise the cap: the limit holds."""
    data = index.add("pkg", "1.0")
    index.pages["pkg"][0]["size"] = 10 * len(data)
    monkeypatch.setattr(
        sdist, "DEFAULT_LIMITS", sdist.Limits(archive_bytes=len(data) - 1)
    )

    with pytest.raises(SdistDownloadError, match=f"larger than {len(data) - 1} bytes"):
        download_sdist(package="pkg", spec="==1.0", cache_dir=tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_a_yanked_only_version_is_refused(index: Index, tmp_path: Path) -> None:
    index.add("pkg", "1.0")
    index.add("pkg", "1.1", yanked="broken metadata")

    with pytest.raises(SdistDownloadError, match=r"pkg==1\.1: .*only yanked"):
        download_sdist(package="pkg", spec="==1.1", cache_dir=tmp_path)
    assert pypi_versions("pkg") == ["1.0"]


def test_versions_are_the_final_releases_with_an_sdist(index: Index) -> None:
    for version in ("1.10", "1.9", "2.0b1", "1.0"):
        index.add("pkg", version)
    index.add("pkg", "3.0", filename="pkg-3.0-py3-none-any.whl")

    assert pypi_versions("pkg") == ["1.0", "1.9", "1.10"]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/pkg-1.0.tar.gz",
        "http://files.example/pkg-1.0.tar.gz",
    ],
)
def test_a_file_url_that_is_not_https_is_refused(
    index: Index, tmp_path: Path, url: str
) -> None:
    index.add("pkg", "1.0", url=url)

    with pytest.raises(SdistDownloadError, match="not an https:// URL"):
        download_sdist(package="pkg", spec="==1.0", cache_dir=tmp_path)


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "http://files.example/x"]
)
def test_a_redirect_to_a_url_that_is_not_https_is_refused(
    index: Index, tmp_path: Path, target: str
) -> None:
    index.add("pkg", "1.0", url="../../files/moved")
    index.redirects["moved"] = target

    # urllib itself refuses file:; ftp: and plain http pass it and meet ours.
    with pytest.raises(SdistDownloadError, match="not an https:// URL|not allowed"):
        download_sdist(package="pkg", spec="==1.0", cache_dir=tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_a_download_past_its_deadline_is_refused(index: Index, tmp_path: Path) -> None:
    """The server sends a part every 0.3 s for 3 s; the deadline is 1 s."""
    index.add("pkg", "1.0")
    index.trickle.add("pkg-1.0.tar.gz")

    with pytest.raises(SdistDownloadError, match="took too long"):
        download_sdist(package="pkg", spec="==1.0", cache_dir=tmp_path, timeout=1)

    assert list(tmp_path.iterdir()) == []


def test_unknown_package_and_offline_are_one_line(
    index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SdistDownloadError, match=r"/simple/nothing/: HTTP 404"):
        download_sdist(package="nothing", spec=None, cache_dir=tmp_path)
    monkeypatch.setenv("ASYNCDASH_PYPI_INDEX_URL", "http://127.0.0.1:9/simple/")
    with pytest.raises(SdistDownloadError, match="cannot reach 127.0.0.1:9") as exc:
        pypi_versions("pkg")
    assert "\n" not in str(exc.value)


def test_an_index_url_that_is_not_https_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ASYNCDASH_PYPI_INDEX_URL", "http://pypi.example/simple/")

    with pytest.raises(SdistDownloadError, match="not an https:// URL"):
        download_sdist(package="pkg", spec=None, cache_dir=tmp_path)


def _marker_sdist(marker: Path) -> bytes:
    setup_py = (
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "from setuptools import setup\n"
        "setup(name='pkg', version='1.0', packages=['pkg'])\n"
    )
    return _sdist_bytes("pkg", "1.0", setup_py=setup_py)


def test_pip_download_would_run_the_archive_code(index: Index, tmp_path: Path) -> None:
    """The marker archive is a real threat: pip runs its setup.py to get its
    metadata (what download_sdist used to do), so the next test can fail."""
    marker = tmp_path / "marker"
    index.add("pkg", "1.0", _marker_sdist(marker))

    subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--no-deps",
            "--no-binary", ":all:", "--no-build-isolation", "--index-url",
            index.url, "-d", str(tmp_path / "pip"), "pkg==1.0",
        ],
        capture_output=True, check=False, timeout=300,
    )  # fmt: skip

    assert marker.read_text() == "ran"


def test_no_code_from_the_archive_runs(index: Index, tmp_path: Path) -> None:
    """Download, unpack and import a release whose setup.py writes a marker."""
    marker = tmp_path / "marker"
    index.add("pkg", "1.0", _marker_sdist(marker))
    cache = tmp_path / "cache"

    archive = download_sdist(package="pkg", spec="==1.0", cache_dir=cache)
    tree = extract_sdist(archive=archive, dest_dir=cache)
    archive.unlink()
    with Mirror.init_local(path=tmp_path / "mirror") as mirror:
        (release,) = import_releases(
            mirror=mirror,
            package="pkg",
            versions=["1.0"],
            cache_dir=cache,
            folders=("pkg",),
        )

    assert (tree / "setup.py").read_text().startswith("import pathlib")
    assert release.created
    assert not marker.exists()


def test_a_release_is_dated_by_its_upload_to_the_index(
    index: Index, tmp_path: Path
) -> None:
    """Builds may pin every time in the archive (hatchling writes 2020-02-02,
    here 2023-11-14): the index's upload time dates the release, read from
    one listing for all releases; without one, PKG-INFO's time does."""
    index.add("pkg", "1.0", **{"upload-time": "2025-04-24T22:06:22.219726Z"})
    index.add("pkg", "1.1", **{"upload-time": "not a time"})
    index.add("pkg", "1.2")
    with Mirror.init_local(path=tmp_path / "mirror") as mirror:
        import_releases(
            mirror=mirror,
            package="pkg",
            versions=["1.0", "1.1", "1.2"],
            cache_dir=tmp_path / "cache",
            folders=("pkg",),
        )
        dates = {tag.name: tag.date for tag in mirror.tags(r"\d+\.\d+")}

    assert dates["1.0"] == datetime(2025, 4, 24, 22, 6, 22, tzinfo=UTC)
    pinned = datetime.fromtimestamp(1_700_000_000, UTC)  # the archive's times
    assert dates["1.1"] == dates["1.2"] == pinned
    assert index.requests.count("/simple/pkg/") == 1, index.requests


def test_cached_releases_import_without_the_index(
    index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unreadable index costs the upload times, never the import."""
    cache = tmp_path / "cache"
    index.add("pkg", "1.0", **{"upload-time": "2025-04-24T22:06:22Z"})
    download_sdist(package="pkg", spec="==1.0", cache_dir=cache)
    monkeypatch.setenv("ASYNCDASH_PYPI_INDEX_URL", "http://127.0.0.1:9/simple/")
    with Mirror.init_local(path=tmp_path / "mirror") as mirror:
        (release,) = import_releases(
            mirror=mirror, package="pkg", versions=["1.0"], cache_dir=cache,
            folders=("pkg",),
        )  # fmt: skip
        (tag,) = mirror.tags(r"\d+\.\d+")

    assert release.created
    assert tag.date == datetime.fromtimestamp(1_700_000_000, UTC)


def test_the_index_url_is_read_at_each_call(
    index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert simple_index.index_url() == index.url
    monkeypatch.delenv("ASYNCDASH_PYPI_INDEX_URL")
    assert simple_index.index_url() == "https://pypi.org/simple/"
