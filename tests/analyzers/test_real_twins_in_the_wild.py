"""Issue 15's "twins in the wild": projects it does not name, analysed with
the default settings (no project file). elasticsearch 9.5.1 (unasync's
`_async/` -> `_sync/`, nested packages too), pymongo 4.20.1 (synchro's
`asynchronous/` -> `synchronous/`), redis 6.4.0 (hand-written `redis/asyncio/`
beside `redis/`), google-cloud-secret-manager 2.25.0 (gapic's
`async_client.py` beside `client.py`, `XAsyncClient` for `XClient`), and
two src layouts: neo4j 6.4.1 and supabase-auth 2.34.1 (`AsyncX` is
`SyncX` there). The
twins expected are counted by `twins_by_ast`, apart from
the analyzer; recall and derivability are in docs/benchmarks.md."""

import pytest
from twins_by_ast import (
    async_defs,
    expected_pairs,
    module_name,
    modules_by,
    twin_modules,
)

from analyzers.records import Relation

pytestmark = pytest.mark.realdata


def across(result) -> dict[str, object]:
    return {f"{p.module}.{p.async_qualname}": p for p in result.pairs if p.sync_module}


def derivable_share(pairs) -> float:
    relations = [p.relation for p in pairs]
    return relations.count(Relation.DERIVABLE) / len(relations)


LAYOUTS = {
    "elasticsearch": ("elasticsearch", "_async", "_sync"),
    "pymongo_defaults": ("pymongo", "asynchronous", "synchronous"),
    "pymongo": ("pymongo", "asynchronous", "synchronous"),
    "redis": ("redis", "asyncio", ""),
}


def test_elasticsearch_every_async_def_of_async_pairs_with_its_sync_twin(
    elasticsearch_tree, elasticsearch
):
    """unasync writes every async def of `_async/` (the client, helpers,
    dsl, vectorstore) again in `_sync/`: each pairs, with its own twin."""
    modules = twin_modules(elasticsearch_tree, *LAYOUTS["elasticsearch"])
    every = {
        f"{module_name(elasticsearch_tree, a)}.{q}"
        for a, _ in modules
        for q in async_defs(a)
    }
    expected = expected_pairs(elasticsearch_tree, modules)
    assert set(expected) == every  # all generated: each has a twin
    assert len(every) > 600
    found = {name: pair.sync_full_name for name, pair in across(elasticsearch).items()}
    assert found == expected
    # `AsyncSearchClient` serves the "async search" API: its name is kept.
    name = "elasticsearch._async.client.async_search.AsyncSearchClient.get"
    assert found[name] == (
        "elasticsearch._sync.client.async_search.AsyncSearchClient.get"
    )


def test_elasticsearch_pairs_are_derivable_without_settings(elasticsearch):
    pairs = across(elasticsearch)
    assert derivable_share(pairs.values()) >= 0.95
    # `async_bulk` -> `bulk` in a body (the longest prefix), not `sync_bulk`.
    bulk = pairs["elasticsearch.dsl._async.document.AsyncDocument.bulk"]
    assert bulk.relation is Relation.DERIVABLE, bulk.async_only_lines


def test_pymongo_without_settings_pairs_all_but_its_own_rename(
    pymongo_tree, pymongo_defaults
):
    """`_AsyncBulk` stands for `_Bulk`; only `aconnect` (synchro's rename
    to `_connect`) has no twin by the generic rules."""
    modules = twin_modules(pymongo_tree, *LAYOUTS["pymongo"])
    every = {
        f"{module_name(pymongo_tree, a)}.{q}" for a, _ in modules for q in async_defs(a)
    }
    expected = expected_pairs(pymongo_tree, modules)
    assert every - set(expected) == {
        "pymongo.asynchronous.mongo_client.AsyncMongoClient.aconnect"
    }
    found = {n: p.sync_full_name for n, p in across(pymongo_defaults).items()}
    assert found == expected
    assert found["pymongo.asynchronous.bulk._AsyncBulk.execute"] == (
        "pymongo.synchronous.bulk._Bulk.execute"
    )
    assert derivable_share(across(pymongo_defaults).values()) >= 0.95


def test_pymongo_with_its_settings_pairs_every_async_def(pymongo_tree, pymongo):
    modules = twin_modules(pymongo_tree, *LAYOUTS["pymongo"])
    every = {
        f"{module_name(pymongo_tree, a)}.{q}" for a, _ in modules for q in async_defs(a)
    }
    pairs = across(pymongo)
    assert set(pairs) == every
    connect = pairs["pymongo.asynchronous.mongo_client.AsyncMongoClient.aconnect"]
    assert connect.sync_qualname == "MongoClient._connect"
    assert {p.generated_side for p in pairs.values()} == {"sync"}
    assert derivable_share(pairs.values()) >= 0.95


def test_redis_hand_written_twins_pair_as_ast_finds_them(redis_tree, redis):
    """redis/asyncio/client.py is not generated and has no header: its twin,
    redis/client.py, is read for the comparison all the same. An async def
    with no sync def at its place (`Redis.initialize`) has no twin."""
    modules = twin_modules(redis_tree, *LAYOUTS["redis"])
    expected = expected_pairs(redis_tree, modules)
    assert len(expected) > 100
    found = {n: p.sync_full_name for n, p in across(redis).items()}
    assert found == expected
    assert "redis.asyncio.client.Redis.initialize" not in found
    assert not redis.extra.get("twin_modules_without_text")


@pytest.mark.parametrize("project", list(LAYOUTS))
def test_no_pair_across_modules_that_are_not_twins(project, request):
    result = request.getfixturevalue(project)
    _, async_dir, sync_dir = LAYOUTS[project]
    for pair in across(result).values():
        parts = pair.module.split(".")
        at = parts.index(async_dir)
        assert pair.sync_module.split(".") == [
            *parts[:at],
            *([sync_dir] if sync_dir else []),
            *parts[at + 1 :],
        ]


def gapic_sync_path(parts):
    """gapic's twin modules: async_client.py -> client.py,
    transports/grpc_asyncio.py -> transports/grpc.py."""
    name = {"async_client.py": "client.py", "grpc_asyncio.py": "grpc.py"}
    return (*parts[:-1], name[parts[-1]]) if parts[-1] in name else None


def test_gapic_async_clients_pair_with_their_sync_clients(gapic_tree, gapic):
    """Every async def of a generated async client (and its asyncio gRPC
    transport) pairs with the def of the sync client at the same place:
    `SecretManagerServiceAsyncClient` stands for `SecretManagerServiceClient`,
    `...GrpcAsyncIOTransport` for `...GrpcTransport`."""
    modules = modules_by(gapic_tree, "google", gapic_sync_path)
    assert len(modules) == 6  # three API versions, a client and a transport each
    every = {
        f"{module_name(gapic_tree, a)}.{q}" for a, _ in modules for q in async_defs(a)
    }
    expected = expected_pairs(gapic_tree, modules)
    assert set(expected) == every and len(every) >= 60
    found = {n: p.sync_full_name for n, p in across(gapic).items()}
    assert found == expected
    client = "google.cloud.secretmanager_v1.services.secret_manager_service"
    assert found[
        f"{client}.async_client.SecretManagerServiceAsyncClient.get_secret"
    ] == (f"{client}.client.SecretManagerServiceClient.get_secret")


@pytest.mark.parametrize(
    ("project", "package"), [("neo4j", "neo4j"), ("supabase_auth", "supabase_auth")]
)
def test_src_layouts_pair_every_generated_async_def(project, package, request):
    """The package in src/: found without settings, its modules named from
    the package down (`neo4j._async.io._pool`), every async def of `_async/`
    paired with its twin: closures in a renamed class's methods too (neo4j's
    `AsyncBoltPool._acquire.<locals>.health_check`), classes whose sync
    spelling has a marker of its own (`AsyncGoTrueClient` / `SyncGoTrueClient`)."""
    tree = request.getfixturevalue(f"{project}_tree") / "src"
    result = request.getfixturevalue(project)
    modules = twin_modules(tree, package, "_async", "_sync")
    every = {f"{module_name(tree, a)}.{q}" for a, _ in modules for q in async_defs(a)}
    assert len(every) > 80
    expected = expected_pairs(tree, modules)
    assert set(expected) == every  # generated: each has a twin
    found = {n: p.sync_full_name for n, p in across(result).items()}
    assert found == expected
    assert not [f for f in result.functions if f.module.startswith("src")]
    assert derivable_share(across(result).values()) >= 0.95


def test_a_sync_class_marked_sync_is_renamed_in_twin_bodies(supabase_auth):
    client = "supabase_auth._async.gotrue_client.AsyncGoTrueClient"
    pair = across(supabase_auth)[f"{client}.sign_in_with_password"]
    assert pair.sync_full_name == (
        "supabase_auth._sync.gotrue_client.SyncGoTrueClient.sign_in_with_password"
    )
    assert pair.relation is Relation.DERIVABLE, pair.async_only_lines


def test_stainless_sibling_classes_pair_in_their_module(anthropic):
    """Stainless writes each async class beside its sync one: `AsyncMessages`
    / `Messages`, and with a marker of its own, `AsyncAPIClient` /
    `SyncAPIClient`, `BaseAsyncPage` / `BaseSyncPage`."""
    twins = {
        f"{p.module}.{p.async_qualname}": p.sync_qualname
        for p in anthropic.pairs
        if not p.sync_module
    }
    base = "anthropic._base_client"
    assert twins[f"{base}.AsyncAPIClient.close"] == "SyncAPIClient.close"
    assert twins[f"{base}.BaseAsyncPage.get_next_page"] == (
        "BaseSyncPage.get_next_page"
    )
    messages = "anthropic.resources.messages.messages.AsyncMessages.create"
    assert twins[messages] == "Messages.create"
    assert len(twins) > 400


def test_opensearch_async_folder_pairs_with_the_modules_beside_it(
    opensearch_tree, opensearch
):
    """No `_sync/`: `opensearchpy/_async/client/indices.py` is the twin of
    `opensearchpy/client/indices.py`, found with the default settings."""
    modules = twin_modules(opensearch_tree, "opensearchpy", "_async", "")
    expected = expected_pairs(opensearch_tree, modules)
    assert len(expected) > 500
    found = {n: p.sync_full_name for n, p in across(opensearch).items()}
    assert {n: found.get(n) for n in expected} == expected
    assert derivable_share(across(opensearch).values()) >= 0.95
