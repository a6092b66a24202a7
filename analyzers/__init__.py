"""The analysis core: standard library and libcst only, never Django.

Two passes: `file_pass` (one file at a time, cacheable per blob) and
`tree_pass` (every file's result together); `records` holds the frozen
dataclasses at the boundary. `analyze_file` runs the first, `tree_pass`
the second, `analyze_tree` both over a directory; `load_project_config`
reads a project's settings (component map, twin layouts, renames, bridges)
into the `ProjectConfig` both take.
"""

from analyzers.config import (
    ConfigError,
    ProjectConfig,
    default_config,
    load_project_config,
)
from analyzers.file_pass.analyze import analyze_file
from analyzers.tree_pass.analyze import ANALYZER_VERSION, analyze_tree, tree_pass

__all__ = [
    "ANALYZER_VERSION",
    "ConfigError",
    "ProjectConfig",
    "analyze_file",
    "analyze_tree",
    "default_config",
    "load_project_config",
    "tree_pass",
]
