"""Release versions: ordering, series, feature or point release; one place.

Built on `packaging`, so "5.0a1" sorts before "5.0" and "5.0" before "5.0.1".
Weekly snapshots of main ("main-2026-11-23") sort after every release. No
Django here: the sources, scanning and web layers all use it.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

SNAPSHOT_PREFIX = "main-"
# Tags that name a final release: "3.0", "5.2.19".
RELEASE_PATTERN = r"[0-9]+\.[0-9]+(\.[0-9]+)?"

MAX_LENGTH = 40  # Release.version and Scan.version
_DIGITS = 6  # per number, in sort_key
# packaging's phases, in the order a release goes through them.
_PHASES = {"dev": "0", "a": "1", "b": "2", "rc": "3", None: "4", "post": "5"}


class VersionError(ValueError):
    """Not a release version (nor a snapshot name)."""


def is_snapshot(version: str) -> bool:
    return version.startswith(SNAPSHOT_PREFIX)


def parse(version: str) -> Version:
    """The release version, or VersionError with a message a user can act on.

    At most MAX_LENGTH characters (the width of the version columns) and
    numbers of at most six digits (the width sort_key gives them).
    """
    refused = VersionError(f"{_shown(version)} is not a release version")
    if len(version) > MAX_LENGTH:
        raise refused
    try:
        parsed = Version(version)
    except (InvalidVersion, ValueError):  # ValueError: int() past 4,300 digits
        raise refused from None
    numbers = [*parsed.release, *(n for n in (parsed.dev, parsed.post) if n)]
    if parsed.pre:
        numbers.append(parsed.pre[1])
    if parsed.local or parsed.epoch or max(numbers) >= 10**_DIGITS:
        raise refused
    return parsed


def _shown(version: str) -> str:
    """The version for a one-line message, however long it is."""
    return repr(version) if len(version) <= 60 else f"{version[:40]!r}..."


def sort_key(version: str) -> str:
    """A string that sorts like the versions do, for a database index.

    Four release numbers of six digits, then the phase (dev < a < b < rc <
    final < post) and its number: "5.0a1" < "5.0" < "5.0.1" < "6.10".
    """
    if is_snapshot(version):
        return "~" + version  # "~" sorts after every digit
    parsed = parse(version)
    numbers = (list(parsed.release) + [0] * 4)[:4]
    if parsed.pre:
        phase, number = parsed.pre
    elif parsed.dev is not None:
        phase, number = "dev", parsed.dev
    elif parsed.post is not None:
        phase, number = "post", parsed.post
    else:
        phase, number = None, 0
    release = ".".join(f"{n:0{_DIGITS}d}" for n in numbers)
    return f"{release}.{_PHASES[phase]}{number:0{_DIGITS}d}"


def is_feature(version: str) -> bool:
    """A feature release is X.Y (or X.Y.0); X.Y.Z with Z > 0 is a point release."""
    return not is_snapshot(version) and not any(parse(version).release[2:])


def series(version: str) -> str:
    """The feature release a version belongs to: "5.2.19" -> "5.2"."""
    major, minor = (list(parse(version).release) + [0])[:2]
    return f"{major}.{minor}"


# Tags that name a final release of any project (PEP 440): "1.0", "3.3.9",
# "2024.1.15", "1.0.post1", and git tags with a "v" ("v1.0.9").
ANY_RELEASE_PATTERN = r"v?[0-9]+(\.[0-9]+){1,3}(\.post[0-9]+)?"
