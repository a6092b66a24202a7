"""Where a project's git mirror lives, how it is opened, which releases it has."""

from __future__ import annotations

import logging

from django.conf import settings

from tracker import versions
from tracker.models import Project
from tracker.sources.git import Mirror, Tag

logger = logging.getLogger(__name__)


def mirror_open(project: Project, *, from_pypi: bool = False) -> Mirror:
    """The project's bare mirror under the data folder.

    An existing mirror is opened as it is: cloned from upstream (it has an
    origin, which `fetch` checks) or built from PyPI sdists (it has none).
    A missing one is cloned from the project's URL, or created empty for
    `import_releases` (`from_pypi`).
    """
    path = settings.DATA_DIR / "mirrors" / f"{project.slug}.git"
    if path.exists() or from_pypi or not project.git_url:
        return Mirror.init_local(path=path, timeout=settings.GIT_TIMEOUT)
    return Mirror.clone_or_open(
        url=project.git_url, path=path, timeout=settings.GIT_TIMEOUT
    )


def release_tags(*, project: Project) -> list[Tag]:
    """The mirror's release tags from the project's minimum version on."""
    with mirror_open(project) as mirror:
        return release_tags_from_min_version(
            mirror.tags(project.release_tag_pattern), project
        )


def release_tags_from_min_version(tags: list[Tag], project: Project) -> list[Tag]:
    """`tags` from the project's minimum version on, in version order; a tag
    the pattern lets through but that is no version we can store (a number
    of 5,000 digits from an upstream repository) is left out."""
    floor = versions.sort_key(project.min_version)
    keyed = []
    for tag in tags:
        try:
            keyed.append((versions.sort_key(tag.name), tag))
        except versions.VersionError as exc:
            logger.warning("skipping tag: %s", exc)
    return [tag for key, tag in sorted(keyed, key=lambda kt: kt[0]) if key >= floor]
