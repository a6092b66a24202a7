"""Reads: releases and what was stored for them, for commands, pages and API.

Every function takes keyword arguments and returns rows, dataclasses or plain
dicts; none writes. Each runs a bounded number of queries whatever the data
size (the web tests hold them to it). One module per subject; all are
re-exported here, so callers say `selectors.function_list(...)`.
"""

from analyzers.tree_pass.components import CONCURRENCY_RULE
from tracker.selectors.changes import ReleaseChanges, release_changes
from tracker.selectors.components import (
    ComponentPoint,
    Matrix,
    MatrixRow,
    component_get,
    component_history,
    component_list,
    component_matrix,
)
from tracker.selectors.functions import (
    FUNCTION_ORDERINGS,
    PUBLIC_ASYNC,
    ChainLink,
    FunctionFilters,
    chain_links,
    full_name_q,
    function_definitions,
    function_get,
    function_history,
    function_list,
    function_newest,
    function_q,
    function_search,
)
from tracker.selectors.pairs import (
    PAIR_ORDERINGS,
    OneSidedFilters,
    OneSidedGroup,
    one_sided_groups,
    one_sided_list,
    pair_get,
    pair_history,
    pair_list,
)
from tracker.selectors.projects import (
    ProjectRow,
    project_get,
    project_list,
    project_rows,
)
from tracker.selectors.releases import (
    HEADLINES,
    Figure,
    Headline,
    data_version,
    headlines,
    project_current,
    release_component_figures,
    release_components,
    release_figures,
    release_get,
    release_kinds,
    release_list,
    release_parse_failures,
    release_previous_feature,
    release_tests,
)
from tracker.selectors.scans import scan_list, scans_active

__all__ = [
    "ReleaseChanges",
    "release_changes",
    "CONCURRENCY_RULE",
    "FUNCTION_ORDERINGS",
    "HEADLINES",
    "PAIR_ORDERINGS",
    "PUBLIC_ASYNC",
    "ChainLink",
    "ComponentPoint",
    "Figure",
    "FunctionFilters",
    "Headline",
    "Matrix",
    "MatrixRow",
    "OneSidedFilters",
    "OneSidedGroup",
    "chain_links",
    "component_get",
    "component_history",
    "component_list",
    "component_matrix",
    "data_version",
    "function_definitions",
    "function_get",
    "function_history",
    "function_list",
    "function_newest",
    "function_q",
    "function_search",
    "full_name_q",
    "headlines",
    "one_sided_groups",
    "one_sided_list",
    "pair_get",
    "pair_history",
    "pair_list",
    "project_current",
    "project_get",
    "project_list",
    "project_rows",
    "ProjectRow",
    "release_component_figures",
    "release_components",
    "release_figures",
    "release_get",
    "release_kinds",
    "release_list",
    "release_parse_failures",
    "release_previous_feature",
    "release_tests",
    "scan_list",
    "scans_active",
]
