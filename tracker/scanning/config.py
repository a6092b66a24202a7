"""A project's analyzer settings, read from its row: the one place that does.

The project's TOML (`Project.component_map`) holds its component map today;
the analyzer's project config (twin layouts, renames, bridges) will extend
it. Everything that needs the settings of a project asks `project_config`,
and everything that keys the per-blob cache asks `cache_version`, so
switching to the analyzer's loader is one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzers import ANALYZER_VERSION
from analyzers.tree_pass.components import ComponentMap


class ProjectConfigError(ValueError):
    """The project's settings do not load; the message names the bad key."""


@dataclass(frozen=True)
class ProjectConfig:
    components: ComponentMap
    fingerprint: str = ""


def config_load(text: str, *, package: str | None = None) -> ProjectConfig:
    """The settings in `text`, or ProjectConfigError in one line. Empty
    text is the defaults for `package`."""
    if not text.strip():
        if not package:
            raise ProjectConfigError("no settings and no package to default them for")
        text = f"[project]\npackage = {package!r}\ntests = 'tests'\n"
    try:
        components = ComponentMap.from_toml(text)
    except KeyError as exc:
        raise ProjectConfigError(f"missing key: {exc.args[0]}") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError is one
        raise ProjectConfigError(str(exc).splitlines()[0]) from None
    return ProjectConfig(components=components)


def project_config(project) -> ProjectConfig:
    """The analyzer settings of `project` (a Project row)."""
    return config_load(project.component_map, package=project.package_dir)


def cache_version(project) -> str:
    """What the per-blob cache and a release are keyed on besides the blob:
    the analyzer's version, and the project settings that change a file's
    result."""
    return ANALYZER_VERSION
