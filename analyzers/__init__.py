"""The analysis core: standard library and libcst only, never Django.

`analyze_file` is the per-file pass (cacheable per blob), `tree_pass` the
tree pass over its results, `analyze_tree` both over a directory.
"""

from analyzers.file_pass import analyze_file
from analyzers.tree import ANALYZER_VERSION, analyze_tree, tree_pass

__all__ = ["ANALYZER_VERSION", "analyze_file", "analyze_tree", "tree_pass"]
