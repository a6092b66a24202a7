"""Where a project's git mirror lives, and how it is opened."""

from __future__ import annotations

from django.conf import settings

from tracker.models import Project
from tracker.sources.git import Mirror


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
