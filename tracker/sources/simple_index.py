"""Read a package index's PEP 691 JSON and fetch sdists without running them.

`pip download` of an sdist prepares its metadata by running the archive's
build backend: code from the archive, on our machine, before anything checks
it. This module only reads the index's list of files (standard library and
`packaging`), picks one by its file name, streams it under a size cap and a
deadline and checks its sha256 against the index. Nothing from the archive
runs. No Django: the Makefile uses it before Django is configured.

The index is `ASYNCDASH_PYPI_INDEX_URL` (default https://pypi.org/simple/),
read at each call. It must be https, or http on 127.0.0.1 (a local test
index); file URLs it lists may be on another host (PyPI serves
files.pythonhosted.org) but must be https, or http on 127.0.0.1 when the
index itself is.
"""

import hashlib
import http.client
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    canonicalize_name,
    parse_sdist_filename,
)
from packaging.version import Version

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
INDEX_URL_ENV = "ASYNCDASH_PYPI_INDEX_URL"
SDIST_SUFFIX = ".tar.gz"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
# Django's page is about 0.5 MiB; a page past this is no index we can use.
MAX_PAGE_BYTES = 32 * 2**20
CHUNK = 2**16
# PEP 508 project names; anything else could reach a URL as a path.
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\.tar\.gz")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LOCAL_HOST = "127.0.0.1"


class SdistDownloadError(RuntimeError):
    """The sdist could not be fetched (offline, no such version, bad hash...)."""


def check_package(package: str) -> str:
    """`package`, once it is a project name (a ValueError otherwise)."""
    if not _PACKAGE_NAME.fullmatch(package):
        raise ValueError(f"{package[:60]!r} is not a valid package name")
    return package


def check_index_url(url: str) -> str:
    """`url` with a trailing slash, once it may serve as the index.

    https without credentials, or http://127.0.0.1 (a local test index).
    """
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValueError(f"{INDEX_URL_ENV}: the index URL must hold no credentials")
    if not (
        (parts.scheme == "https" and parts.hostname)
        or (parts.scheme == "http" and parts.hostname == _LOCAL_HOST)
    ):
        raise ValueError(
            f"{INDEX_URL_ENV}={url[:80]!r} is not an https:// URL"
            " (http only on 127.0.0.1)"
        )
    return url if url.endswith("/") else f"{url}/"


def index_url() -> str:
    """The index from the environment (checked), or PyPI's."""
    try:
        return check_index_url(
            os.environ.get(INDEX_URL_ENV, "").strip() or DEFAULT_INDEX_URL
        )
    except ValueError as exc:
        raise SdistDownloadError(str(exc)) from None


def _check_file_url(url: str, *, index: str) -> str:
    parts = urlsplit(url)
    local_index = urlsplit(index).scheme == "http"
    if (parts.scheme == "https" and parts.hostname) or (
        local_index and parts.scheme == "http" and parts.hostname == _LOCAL_HOST
    ):
        return url
    raise SdistDownloadError(f"refusing {url[:80]!r}: not an https:// URL")


@dataclass(frozen=True)
class IndexFile:
    """One sdist the index lists."""

    filename: str
    url: str
    sha256: str | None
    size: int | None
    yanked: bool
    version: Version
    # PEP 700's `upload-time`: when it was published, the release's date.
    uploaded: datetime | None = None


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a URL the same rule allows."""

    def __init__(self, index: str) -> None:
        self.index = index

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        _check_file_url(urljoin(req.full_url, newurl), index=self.index)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(index: str) -> urllib.request.OpenerDirector:
    # Only http(s): no file://, ftp:// or data: handler, whatever a URL says.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        _CheckedRedirects(index),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _open(url: str, *, index: str, accept: str, timeout: float):
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        return _opener(index).open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise SdistDownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise SdistDownloadError(
            f"cannot reach {urlsplit(url).netloc}: {reason}"
        ) from None


def project_sdists(package: str, *, timeout: float = 120) -> list[IndexFile]:
    """Every .tar.gz sdist of `package` on the index, in the index's order."""
    index = index_url()
    name = canonicalize_name(check_package(package))
    page = f"{index}{name}/"
    deadline = time.monotonic() + timeout
    with _open(page, index=index, accept=JSON_TYPE, timeout=timeout) as response:
        kind = response.headers.get_content_type()
        if kind != JSON_TYPE:
            raise SdistDownloadError(f"{page} is not PEP 691 JSON ({kind})")
        body = b"".join(
            _chunks(response, cap=MAX_PAGE_BYTES, deadline=deadline, what=page)
        )
    try:
        data = json.loads(body)
        version = str(data["meta"]["api-version"])
        files = list(data["files"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SdistDownloadError(f"{page} is not a PEP 691 project page") from exc
    if version.split(".")[0] != "1":
        raise SdistDownloadError(f"{page}: unsupported api-version {version}")
    return [found for entry in files if (found := _sdist(entry, name=name, page=page))]


def _sdist(entry: object, *, name: str, page: str) -> IndexFile | None:
    if not isinstance(entry, dict):
        return None
    filename = entry.get("filename")
    if not isinstance(filename, str) or not _FILE_NAME.fullmatch(filename):
        return None
    try:
        listed_name, version = parse_sdist_filename(filename)
    except InvalidSdistFilename:
        return None
    if listed_name != name:
        return None
    hashes = entry.get("hashes")
    sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
    size = entry.get("size")
    return IndexFile(
        filename=filename,
        url=urljoin(page, str(entry.get("url", ""))),
        sha256=sha256.lower() if isinstance(sha256, str) else None,
        size=size if isinstance(size, int) and size >= 0 else None,
        yanked=bool(entry.get("yanked", False)),
        version=version,
        uploaded=_upload_time(entry.get("upload-time")),
    )


def _upload_time(value: object) -> datetime | None:
    """PEP 700's ISO 8601 time in UTC, or None when absent or not one."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def sdist_versions(package: str, *, timeout: float = 120) -> list[str]:
    """The versions of `package` with a .tar.gz sdist that is not yanked."""
    seen: dict[Version, None] = {}
    for found in project_sdists(package, timeout=timeout):
        if not found.yanked:
            seen.setdefault(found.version)
    return [str(version) for version in seen]


def pick_sdist(files: list[IndexFile], *, package: str, spec: str | None) -> IndexFile:
    """The newest non-yanked sdist matching `spec`, prereleases only if it
    names one (as pip does)."""
    try:
        specifiers = SpecifierSet(spec or "")
    except InvalidSpecifier:
        raise SdistDownloadError(f"{spec!r} is not a version specifier") from None
    prereleases = bool(specifiers.prereleases)
    matching = [
        found
        for found in files
        if specifiers.contains(found.version, prereleases=prereleases)
    ]
    usable = [found for found in matching if not found.yanked]
    if not usable:
        what = "only yanked sdists" if matching else "no sdist"
        raise SdistDownloadError(f"{package}{spec or ''}: the index has {what}")
    newest = max(found.version for found in usable)
    return next(found for found in usable if found.version == newest)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_sdist(
    found: IndexFile, *, dest_dir: Path, max_bytes: int, timeout: float
) -> Path:
    """Stream `found` into `dest_dir` under its name, checked, and return it.

    At most `max_bytes` (or the listed size, if smaller), within `timeout`
    seconds in all; its sha256 must be the index's. The bytes go to a
    temporary file beside the target, renamed into place only once checked.
    """
    if found.sha256 is None or not _SHA256.fullmatch(found.sha256):
        raise SdistDownloadError(f"the index lists no sha256 for {found.filename}")
    index = index_url()
    _check_file_url(found.url, index=index)
    cap = min(max_bytes, found.size) if found.size is not None else max_bytes
    deadline = time.monotonic() + timeout
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(
        prefix=f".{found.filename}.", suffix=".part", dir=dest_dir
    )
    temp_path = Path(temp)
    try:
        digest = hashlib.sha256()
        with (
            os.fdopen(fd, "wb") as out,
            _open(
                found.url, index=index, accept="*/*", timeout=min(timeout, 60)
            ) as response,
        ):
            for chunk in _chunks(
                response, cap=cap, deadline=deadline, what=found.filename
            ):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != found.sha256:
            raise SdistDownloadError(
                f"{found.filename}: sha256 {digest.hexdigest()} is not the"
                f" index's {found.sha256}"
            )
        target = dest_dir / found.filename
        temp_path.chmod(0o644)  # as pip left them: readable by other users
        os.replace(temp_path, target)
        return target
    finally:
        temp_path.unlink(missing_ok=True)


def _chunks(response, *, cap: int, deadline: float, what: str) -> Iterator[bytes]:
    """The body, a read at a time: past `cap` bytes or `deadline`, an error.

    `read1` returns what one read from the socket gives, so a server
    trickling bytes meets the deadline too (`read(n)` would wait for n).
    """
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > cap:
        raise SdistDownloadError(f"{what} is larger than {cap} bytes")
    received = 0
    while True:
        try:
            chunk = response.read1(CHUNK)
        except (OSError, http.client.HTTPException) as exc:  # timeout, reset
            raise SdistDownloadError(f"{what}: the transfer failed: {exc}") from None
        if not chunk:
            return
        received += len(chunk)
        if received > cap:
            raise SdistDownloadError(f"{what} is larger than {cap} bytes")
        if time.monotonic() > deadline:
            raise SdistDownloadError(f"{what}: the download took too long")
        yield chunk
