"""Command-line values the commands share, checked before anything runs.

Each bad value is a one-line CommandError naming the option; nothing a user
types reaches the database or git unchecked.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

from django.core.management.base import CommandError
from django.core.validators import slug_re

from tracker import versions
from tracker.models import Project

_SNAPSHOT = re.compile(re.escape(versions.SNAPSHOT_PREFIX) + r"\d{4}-\d{2}-\d{2}")


def project_get(slug: str) -> Project:
    """The project named by `--project`."""
    if not slug_re.fullmatch(slug) or len(slug) > 50:  # a SlugField's width
        raise CommandError(f"--project: {slug[:60]!r} is not a project name")
    project = Project.objects.filter(slug=slug).first()
    if project is None:
        raise CommandError(f"no project {slug!r}")
    return project


def version_check(option: str, version: str, *, snapshots: bool = False) -> str:
    """`version`, once it is a release version (a message naming `option`
    otherwise), or with `snapshots` a snapshot name ("main-2026-11-23")."""
    if snapshots and _SNAPSHOT.fullmatch(version):
        return version
    try:
        versions.parse(version)
    except versions.VersionError as exc:
        raise CommandError(f"{option}: {exc}") from None
    return version


def int_between(low: int, high: int) -> Callable[[str], int]:
    """An argparse `type`: a whole number from `low` to `high`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:  # also past 4,300 digits
            raise argparse.ArgumentTypeError(
                f"{text[:40]!r} is not a whole number"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not from {low} to {high}")
        return value

    return parse
