"""The analysis core: standard library and libcst only, never Django.

Two passes: `file_pass` (one file at a time, cacheable per blob) and
`tree_pass` (every file's result together); `records` holds the frozen
dataclasses at the boundary. `analyze_file` runs the first, `tree_pass.
analyze.tree_pass` the second, `analyze_tree` both over a directory.
"""

from analyzers.file_pass.analyze import analyze_file
from analyzers.tree_pass.analyze import ANALYZER_VERSION, analyze_tree

__all__ = ["ANALYZER_VERSION", "analyze_file", "analyze_tree"]
