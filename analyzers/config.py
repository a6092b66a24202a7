"""A project's settings: one TOML text, merged over the shared defaults.

`load_project_config(text, package=...)` reads what a project says about
itself (README, "A project's settings"): its component map (`[project]`,
`[modules]`, `[tests]`, `[classes]`) and what it adds to the shared rules of
`data/conventions.toml` (`[twins]` with its `layouts`, `[renames]`,
`[bridges]`, `[types]`...). Lists are added to the defaults' lists, tables
merged into theirs (the project's entry wins), so a project names only what
is its own. Django's map, `data/django.toml`, is such a text.

`fingerprint` hashes everything that changes one file's result (the merged
conventions and the analyzer's own version): a per-blob cache keyed on it
never serves a result computed under other rules.
"""

from __future__ import annotations

import functools
import hashlib
import json
import tomllib
from dataclasses import dataclass
from typing import Any

from analyzers.conventions import (
    DATA_FILE,
    Conventions,
    conventions_from_data,
    load_data,
)
from analyzers.tree_pass.components import DEFAULT_MAP, ComponentMap

# Tables of the component map, and those merged into the shared conventions.
MAP_TABLES = ("project", "modules", "tests", "classes")
CONVENTION_TABLES = (
    "bridges",
    "concurrency",
    "awaitables",
    "blocking",
    "twins",
    "renames",
    "types",
    "defaults",
)
PROJECT_KEYS = {"package": str, "tests": str, "test_support": list}
# Convention tables whose keys are names (any key is welcome); in the others
# a key the defaults lack is a mistake.
OPEN_TABLES = frozenset(
    {
        "renames",
        "defaults",
        "types.attributes",
        "types.aliases",
        "types.objects",
        "types.items",
        "types.returns",
        "types.yields",
        "types.variables",
        "types.callables",
    }
)


class ConfigError(ValueError):
    """A project's settings are wrong: one line naming the key."""


@dataclass(frozen=True)
class ProjectConfig:
    components: ComponentMap
    conventions: Conventions
    # Hex digest of what changes one file's result (the merged conventions).
    fingerprint: str
    # The project's convention tables as canonical JSON: what a per-file
    # analysis in another process needs to rebuild `conventions`.
    overrides: str = "{}"


def load_project_config(
    text: str | None, *, package: str | None = None
) -> ProjectConfig:
    """A project's config from its settings text (None or empty: defaults).

    `package` names the package folder when the text does not
    (`[project] package`); without `[modules]` each top-level subpackage of
    it is a component, twin folders (`_async`/`_sync`) merged into one.
    A missing or wrong key raises ConfigError naming it.
    """
    try:
        data = tomllib.loads(text or "")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not TOML: {exc}") from None
    unknown = sorted(set(data) - set(MAP_TABLES) - set(CONVENTION_TABLES))
    if unknown:
        known = ", ".join(MAP_TABLES + CONVENTION_TABLES)
        raise ConfigError(f"unknown table [{unknown[0]}] (known: {known})")
    components = _component_map(data, package)
    _check_layouts(data.get("twins", {}))
    renames = data.get("renames", {})
    if not isinstance(renames, dict) or not all(
        isinstance(v, str) and v for v in renames.values()
    ):
        raise ConfigError("[renames] must map names to names")
    overrides = {key: data[key] for key in CONVENTION_TABLES if key in data}
    canonical = json.dumps(overrides, sort_keys=True, separators=(",", ":"))
    conventions = conventions_from_overrides(canonical)
    return ProjectConfig(
        components=components,
        conventions=conventions,
        fingerprint=_fingerprint(canonical),
        overrides=canonical,
    )


@functools.lru_cache(maxsize=32)
def conventions_from_overrides(overrides: str) -> Conventions:
    """The shared conventions with a project's tables (canonical JSON,
    `ProjectConfig.overrides`) merged in."""
    data = load_data()
    for key, value in json.loads(overrides).items():
        _merge(data, key, value, "")
    try:
        return conventions_from_data(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"a convention table is malformed: {exc!r}") from None


def default_config() -> ProjectConfig:
    """Django's: data/django.toml over the shared defaults."""
    return load_project_config(DEFAULT_MAP.read_text(encoding="utf-8"))


@functools.cache
def _fingerprint(canonical: str) -> str:
    digest = hashlib.sha256()
    digest.update(DATA_FILE.read_bytes())
    digest.update(b"\0")
    digest.update(canonical.encode())
    return digest.hexdigest()[:16]


def _merge(into: dict, key: str, value: Any, parent: str) -> None:
    """Merge a project's `value` into the defaults' `into[key]`; `parent`
    is the dotted name of `into` ("" for the top)."""
    where = f"{parent}.{key}" if parent else key
    if key not in into:
        if parent not in OPEN_TABLES:
            raise ConfigError(f"unknown key {where}")
        into[key] = value
        return
    current = into[key]
    if isinstance(current, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"[{where}] must be a table")
        for name, item in value.items():
            _merge(current, name, item, where)
    elif isinstance(current, list):
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list")
        added = [item for item in value if item not in current]
        # A project's layouts come first: the first rule a path meets is applied.
        into[key] = added + current if key == "layouts" else current + added
    elif type(current) is not type(value):
        raise ConfigError(f"{where} must be a {type(current).__name__}")
    else:
        into[key] = value


def _check_layouts(twins: Any) -> None:
    if not isinstance(twins, dict):
        raise ConfigError("[twins] must be a table")
    layouts = twins.get("layouts", [])
    if not isinstance(layouts, list):
        raise ConfigError("twins.layouts must be a list of {from_dir, to_dir} tables")
    for rule in layouts:
        if not isinstance(rule, dict) or not (
            {"from_dir", "to_dir"} <= set(rule) <= {"from_dir", "to_dir", "generated"}
        ):
            raise ConfigError(
                "twins.layouts: each rule is a table of from_dir, to_dir and"
                f" (optional) generated, not {str(rule)[:80]}"
            )
        if rule.get("generated", "sync") not in ("sync", "async"):
            raise ConfigError('twins.layouts: generated must be "sync" or "async"')
        if not isinstance(rule["from_dir"], str) or not rule["from_dir"].strip("/"):
            raise ConfigError("twins.layouts: from_dir must name a folder")
        if not isinstance(rule["to_dir"], str):
            raise ConfigError('twins.layouts: to_dir must be a folder or ""')


def _component_map(data: dict, package: str | None) -> ComponentMap:
    project = data.get("project", {})
    if not isinstance(project, dict):
        raise ConfigError("[project] must be a table")
    for key, value in project.items():
        kind = PROJECT_KEYS.get(key)
        if kind is None:
            raise ConfigError(
                f"unknown key [project] {key} (known: {', '.join(PROJECT_KEYS)})"
            )
        if not isinstance(value, kind):
            raise ConfigError(f"[project] {key} must be a {kind.__name__}")
    folder = project.get("package") or package
    if not folder:
        raise ConfigError("missing [project] package (the package folder's name)")
    # A src layout names the folder the package sits in: "src/neo4j".
    source_root, _, name = folder.rpartition("/")
    if not all(_one_folder_name(part) for part in folder.split("/")):
        raise ConfigError(
            "[project] package must be a folder name, or its path in a src"
            f" layout (src/NAME), not {folder[:80]!r}"
        )
    tests = project.get("tests", "tests")
    if not _one_folder_name(tests):
        raise ConfigError(
            f"[project] tests must be one folder name, not {tests[:80]!r}"
        )
    for table in ("modules", "tests", "classes"):
        entries = data.get(table, {})
        if not isinstance(entries, dict) or not all(
            isinstance(v, str) and v for v in entries.values()
        ):
            raise ConfigError(f"[{table}] must map names to component names")
    support = project.get("test_support", list(ComponentMap.test_support))
    if not all(isinstance(item, str) for item in support):
        raise ConfigError("[project] test_support must be a list of module names")
    modules = sorted(data.get("modules", {}).items(), key=lambda kv: -len(kv[0]))
    return ComponentMap(
        package=name,
        source_root=source_root,
        tests=tests,
        modules=tuple(modules),
        test_folders=dict(data.get("tests", {})),
        classes=dict(data.get("classes", {})),
        test_support=tuple(support),
        derived="modules" not in data,
    )


def _one_folder_name(name: str) -> bool:
    return (
        bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\0")
    )
