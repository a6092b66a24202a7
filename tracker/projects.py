"""Projects as data: adding one, and the checks its settings must pass.

`project_create` is what `manage.py add_project` calls; the admin's form
runs the same `project_check`. A bad value is a ValidationError naming the
field, in one line, before anything reaches the database or git.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db import transaction

from tracker import versions
from tracker.models import Project
from tracker.scanning.config import ProjectConfigError, config_load
from tracker.sources.git import GitRefusedError, validate_repo_url
from tracker.sources.sdist import check_package

SLUG_WIDTH = 50  # Project.slug's SlugField
_PART = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
_PLAIN_FOLDER = re.compile(rf"{_PART}(/{_PART})*")


def project_check(project: Project) -> None:
    """Raise ValidationError, by field, for each value of `project` the
    pipeline would refuse or misread later."""
    errors: dict[str, str] = {}
    if not slug_re.fullmatch(project.slug or "") or len(project.slug) > SLUG_WIDTH:
        errors["slug"] = f"{project.slug[:60]!r} is not a project name (a slug)"
    if not project.git_url and not project.pypi_package:
        errors["pypi_package"] = "a project needs a PyPI package or a git URL"
    if project.pypi_package:
        try:
            check_package(project.pypi_package)
        except ValueError as exc:
            errors["pypi_package"] = str(exc)
    if project.git_url:
        try:
            validate_repo_url(project.git_url)
        except GitRefusedError as exc:
            errors["git_url"] = str(exc)
    for field in ("package_dir", "tests_dir"):
        value = getattr(project, field)
        if (value or field == "package_dir") and not _PLAIN_FOLDER.fullmatch(value):
            errors[field] = f"{value[:60]!r} is not a plain relative folder"
    try:
        versions.parse(project.min_version)
    except versions.VersionError as exc:
        errors["min_version"] = str(exc)
    try:
        re.compile(project.release_tag_pattern)
    except re.error as exc:
        errors["release_tag_pattern"] = f"not a regular expression: {exc}"
    try:
        config_load(project.component_map, package=project.package_dir)
    except ProjectConfigError as exc:
        errors["component_map"] = str(exc)
    if errors:
        raise ValidationError(errors)


def project_create(
    *,
    name: str,
    pypi_package: str = "",
    git_url: str = "",
    package_dir: str = "",
    tests_dir: str = "tests",
    since: str = "0",
    settings_text: str = "",
) -> Project:
    """Add a tracked project; its slug is `name` lower-cased.

    `package_dir` defaults to the PyPI name (dashes as underscores);
    `settings_text` (TOML) to the analyzer's defaults for that package.
    Raises ValidationError naming the field, also for a slug taken.
    """
    slug = name.lower()
    project = Project(
        slug=slug,
        name=name,
        pypi_package=pypi_package,
        git_url=git_url,
        package_dir=package_dir or _default_package_dir(pypi_package, git_url),
        tests_dir=tests_dir,
        component_map=settings_text,
        release_tag_pattern=versions.ANY_RELEASE_PATTERN,
        min_version=since,
        main_branch="",  # the repository's default branch, found in the mirror
    )
    project_check(project)
    with transaction.atomic():
        if Project.objects.select_for_update().filter(slug=slug).exists():
            raise ValidationError({"slug": f"there is a project {slug!r} already"})
        project.save()
    return project


def _default_package_dir(pypi_package: str, git_url: str) -> str:
    """The import name PyPI's name suggests: "python-dateutil" gives no good
    guess (say --package-dir), "httpcore" gives "httpcore"."""
    name = pypi_package or git_url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return name.lower().replace("-", "_")
