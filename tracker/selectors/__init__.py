"""Reads: releases and what was stored for them, for commands, pages and API.

Every function takes keyword arguments and returns rows, dataclasses or plain
dicts; none writes. Each runs a bounded number of queries whatever the data
size (the web tests hold them to it). One module per subject; all are
re-exported here, so callers say `selectors.function_list(...)`.
"""

from tracker.selectors.changes import ReleaseChanges, release_changes
from tracker.selectors.components import (
    ComponentPoint,
    component_get,
    component_history,
    component_matrix,
    component_names,
)
from tracker.selectors.functions import (
    FUNCTION_ORDERINGS,
    ChainLink,
    FunctionFilters,
    chain_links,
    function_get,
    function_history,
    function_list,
    function_newest,
    function_search,
)
from tracker.selectors.pairs import (
    PAIR_ORDERINGS,
    drift_list,
    pair_get,
    pair_history,
    pair_list,
)
from tracker.selectors.releases import (
    HEADLINES,
    Headline,
    data_version,
    headlines,
    project_current,
    release_components,
    release_figures,
    release_get,
    release_list,
    release_parse_failures,
    release_previous_feature,
)
from tracker.selectors.scans import scan_list, scans_active

__all__ = [
    "FUNCTION_ORDERINGS",
    "HEADLINES",
    "PAIR_ORDERINGS",
    "ChainLink",
    "ComponentPoint",
    "FunctionFilters",
    "Headline",
    "ReleaseChanges",
    "chain_links",
    "component_get",
    "component_history",
    "component_matrix",
    "component_names",
    "data_version",
    "drift_list",
    "function_get",
    "function_history",
    "function_list",
    "function_newest",
    "function_search",
    "headlines",
    "pair_get",
    "pair_history",
    "pair_list",
    "project_current",
    "release_changes",
    "release_components",
    "release_figures",
    "release_get",
    "release_list",
    "release_parse_failures",
    "release_previous_feature",
    "scan_list",
    "scans_active",
]
