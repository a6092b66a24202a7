"""A project's settings: one TOML text over the shared defaults, one-line errors."""

import pytest

from analyzers import ConfigError, default_config, load_project_config
from analyzers.conventions import load_conventions
from analyzers.tree_pass.components import DEFAULT_MAP, ComponentMap

HTTPCORE = """
[project]
package = "httpcore"

[renames]
"AsyncConnectionPool" = "ConnectionPool"
"""


def test_django_map_keeps_its_components_and_the_shared_conventions():
    config = default_config()
    assert config.components == ComponentMap.load()
    assert config.conventions == load_conventions()
    assert config.overrides == "{}"


def test_no_text_and_a_package_give_the_defaults():
    config = load_project_config(None, package="httpcore")
    assert config.components.package == "httpcore"
    assert config.components.tests == "tests"
    assert config.components.derived
    assert config.conventions == load_conventions()
    assert load_project_config("", package="httpcore") == config


def test_the_text_names_the_package_before_the_argument():
    config = load_project_config('[project]\npackage = "psycopg"\n', package="x")
    assert config.components.package == "psycopg"


def test_a_map_with_modules_is_not_derived():
    config = load_project_config(DEFAULT_MAP.read_text())
    assert not config.components.derived


# Project tables merge into the defaults: lists extended, tables merged.
MERGES = [
    pytest.param(
        '[renames]\n"AsyncHTTP2Connection" = "HTTP2Connection"\n',
        lambda c: (
            c.renames["AsyncHTTP2Connection"] == "HTTP2Connection"
            and c.renames["aclose"] == "close"
        ),
        id="renames-added-to-the-catalogue",
    ),
    pytest.param(
        '[renames]\n"aclose" = "shutdown"\n',
        lambda c: c.renames["aclose"] == "shutdown",
        id="a-project-rename-wins",
    ),
    pytest.param(
        '[bridges]\nsync_to_async = ["mylib.run_sync"]\n',
        lambda c: (
            c.is_sync_to_async("mylib.run_sync")
            and c.is_sync_to_async("asgiref.sync.sync_to_async")
        ),
        id="bridges-extend-the-defaults",
    ),
    pytest.param(
        '[[twins.layouts]]\nfrom_dir = "pkg/aio"\nto_dir = "pkg/blocking"\n',
        lambda c: (
            c.sync_twin_path("pkg/aio/x.py") == "pkg/blocking/x.py"
            and c.sync_twin_path("pkg/_async/x.py") == "pkg/_sync/x.py"
        ),
        id="layouts-extend-the-defaults",
    ),
    pytest.param(
        '[types.objects]\n"pkg.db" = "pkg.Database"\n',
        lambda c: c.types.objects["pkg.db"] == "pkg.Database",
        id="types-merged",
    ),
]


@pytest.mark.parametrize(("text", "check"), MERGES)
def test_project_tables_merge_over_the_defaults(text, check):
    config = load_project_config(text, package="pkg")
    assert check(config.conventions)


def test_the_fingerprint_follows_what_changes_a_files_result():
    base = load_project_config(None, package="httpcore")
    renamed = load_project_config(HTTPCORE)
    # The component map changes no file's result; the conventions do.
    assert base.fingerprint == default_config().fingerprint
    assert renamed.fingerprint != base.fingerprint
    assert load_project_config(HTTPCORE).fingerprint == renamed.fingerprint
    reordered = '[renames]\n"B" = "b"\n"A" = "a"\n'
    ordered = '[renames]\n"A" = "a"\n"B" = "b"\n'
    assert (
        load_project_config(reordered, package="p").fingerprint
        == load_project_config(ordered, package="p").fingerprint
    )
    modules = '[modules]\n"httpcore._async" = "core"\n'
    assert load_project_config(modules, package="httpcore").fingerprint == (
        base.fingerprint
    )


# A missing or wrong key: one line naming it.
ERRORS = [
    ("", None, "missing [project] package"),
    ("[project\n", "p", "not TOML"),
    ("[components]\n", "p", "unknown table [components]"),
    ('[project]\npackages = "p"\n', None, "unknown key [project] packages"),
    ("[project]\npackage = 3\n", None, "[project] package must be a str"),
    ('[project]\npackage = "../p"\n', None, "[project] package must be a folder"),
    ('[project]\npackage = "/src/p"\n', None, "its path in a src layout (src/NAME)"),
    ('[project]\npackage = "src//p"\n', None, "[project] package must be a folder"),
    ("", "src/p/", "[project] package must be a folder"),
    ('[project]\npackage = "p"\ntests = "a/b"\n', None, "[project] tests must be one"),
    ('[modules]\n"p.x" = 1\n', "p", "[modules] must map names to component names"),
    ('[twins]\nlayout = ["_async"]\n', "p", "unknown key twins.layout"),
    ('[twins]\nprefixes = "a"\n', "p", "twins.prefixes must be a list"),
    ('[bridges]\nthread = ["x"]\n', "p", "unknown key bridges.thread"),
    ("[renames]\nx = 1\n", "p", "[renames] must map names to names"),
    ('[[twins.layouts]]\nfrom = "_async"\n', "p", "twins.layouts: each rule"),
    ('[[twins.layouts]]\nfrom_dir = ""\nto_dir = "x"\n', "p", "from_dir must name"),
    ("[twins]\nlayouts = 1\n", "p", "twins.layouts must be a list"),
    (
        '[[twins.layouts]]\nfrom_dir = "a"\nto_dir = "b"\ngenerated = "yes"\n',
        "p",
        'generated must be "sync" or "async"',
    ),
]


@pytest.mark.parametrize(("text", "package", "message"), ERRORS)
def test_a_wrong_setting_is_one_line_naming_it(text, package, message):
    with pytest.raises(ConfigError) as exc:
        load_project_config(text, package=package)
    line = str(exc.value)
    assert "\n" not in line
    assert message in line


# Derived components: one per top-level subpackage, twin folders merged.
# (package, the tree's modules, module -> its component)
DERIVED = [
    pytest.param(
        "httpcore",
        ["httpcore", "httpcore._async.http11", "httpcore._sync.http11",
         "httpcore._backends.anyio", "httpcore._models"],
        {"httpcore._async.http11": "_sync", "httpcore._sync.http11": "_sync",
         "httpcore._backends.anyio": "_backends", "httpcore._models": "httpcore",
         "httpcore": "other"},
        id="httpcore-async-joins-sync",
    ),
    pytest.param(
        "redis",
        ["redis.client", "redis.asyncio.client", "redis.asyncio.cluster",
         "redis.commands.core", "redis.asyncio.commands"],
        {"redis.asyncio.client": "redis", "redis.client": "redis",
         "redis.commands.core": "commands", "redis.asyncio.commands": "commands",
         "redis.asyncio.cluster": "redis"},
        id="redis-asyncio-joins-its-parent",
    ),
    pytest.param(
        "pymongo",
        ["pymongo.asynchronous.collection", "pymongo.synchronous.collection",
         "pymongo.errors"],
        {"pymongo.asynchronous.collection": "synchronous",
         "pymongo.errors": "pymongo"},
        id="pymongo-asynchronous-joins-synchronous",
    ),
    pytest.param(
        "psycopg",
        ["psycopg.cursor", "psycopg.cursor_async", "psycopg.pq.misc",
         "psycopg.pq"],
        {"psycopg.cursor_async": "psycopg", "psycopg.pq": "pq",
         "psycopg.pq.misc": "pq"},
        id="psycopg-modules-and-subpackages",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("package", "modules", "expected"), DERIVED)
def test_derived_components(package, modules, expected):
    config = load_project_config(None, package=package)
    concrete = config.components.for_modules(modules, config.conventions)
    assert not concrete.derived
    assert {m: concrete.of_module(m) for m in expected} == expected


def test_a_map_with_modules_is_kept_as_written():
    config = default_config()
    modules = ["django.db.models.query", "django.core._async.x"]
    assert config.components.for_modules(modules, config.conventions) is (
        config.components
    )


def test_a_src_layout_names_the_folder_not_the_module():
    """`src/neo4j`: files under src/, modules named from the package down;
    a test folder beside src/ keeps its own names."""
    components = load_project_config(None, package="src/neo4j").components
    assert (components.package, components.source_root) == ("neo4j", "src")
    assert components.package_dir == "src/neo4j"
    assert components.module_of("src/neo4j/_async/driver.py") == "neo4j._async.driver"
    assert components.module_of("src/neo4j/__init__.py") == "neo4j"
    assert components.module_of("tests/unit/test_x.py") == "tests.unit.test_x"
    plain = load_project_config(None, package="neo4j").components
    assert (plain.package_dir, plain.module_of("neo4j/x.py")) == ("neo4j", "neo4j.x")
