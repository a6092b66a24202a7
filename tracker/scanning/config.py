"""A project's analyzer settings, read from its row: the one place that does.

The project's TOML (`Project.component_map`; empty: the analyzer's defaults
for its package) is the analyzer's project config: its component map, twin
layouts, renames, bridges (`analyzers.load_project_config`). Everything that
needs a project's settings asks `project_config`, and everything that keys
the per-blob cache asks `cache_version`.
"""

from __future__ import annotations

from analyzers import ANALYZER_VERSION, ConfigError, ProjectConfig, load_project_config


class ProjectConfigError(ValueError):
    """The project's settings do not load; the message names the bad key."""


def config_load(text: str, *, package: str | None = None) -> ProjectConfig:
    """The settings in `text` (empty: the defaults for `package`), or
    ProjectConfigError in one line."""
    try:
        return load_project_config(text or None, package=package or None)
    except ConfigError as exc:
        raise ProjectConfigError(str(exc)) from None


def project_config(project) -> ProjectConfig:
    """The analyzer settings of `project` (a Project row)."""
    return config_load(project.component_map, package=project.package_dir)


def cache_version(project) -> str:
    """What the per-blob cache and a release are keyed on besides the blob:
    the analyzer's version and the fingerprint of the project's settings that
    change a file's result (at most 20 characters, the columns' width)."""
    return f"{ANALYZER_VERSION}-{project_config(project).fingerprint[:12]}"
