"""The analyzer on real Django releases downloaded from PyPI (see conftest.py)."""

from pathlib import Path

import pytest

from analyzers.cli import format_table
from analyzers.file_pass.analyze import analyze_file
from analyzers.file_pass.ast_walk import holds_no_async
from analyzers.file_pass.names import module_name
from analyzers.records import Kind, Reach, Relation, Resolution, Stage
from analyzers.tree_pass.analyze import source_files
from analyzers.tree_pass.components import ComponentMap


@pytest.fixture(params=["django52", "django61"])
def release(request):
    """Each analysed release in turn (5.2 and 6.1)."""
    return request.getfixturevalue(request.param)


def test_db_session_store_aload_ends_in_the_queryset_hop(release):
    """The db store awaits `self.model.objects.aget(...)`: a QuerySet method,
    not a cache's or a generic relation manager's `aget`."""
    f = release.function(
        "django.contrib.sessions.backends.db.SessionStore.aload", is_async=True
    )
    assert f.chain[-2:] == ("QuerySet.aget", "sync_to_async(get)")
    assert f.hops == ("django.db.models.query.QuerySet.aget",)
    assert Resolution.NAME not in {s.resolution for s in f.steps}


def test_session_aset_does_not_hop_through_a_generic_relation(release):
    f = release.function("django.contrib.sessions.backends.base.SessionBase.aset")
    hops = f.hops + f.hops_by_name
    assert not [h for h in hops if "contenttypes" in h]


def test_auth_boundary_holds_no_component_reached_only_by_name(release):
    """cache and contrib.contenttypes came in through same-named methods."""
    auth = release.component("contrib.auth")
    assert "orm-queryset" in auth.boundary
    assert not {"cache", "contrib.contenttypes"} & set(auth.boundary)
    assert not set(auth.boundary) & set(auth.boundary_by_name)


def test_sessions_follow_the_default_store_into_the_orm(release):
    """A user with default settings reaches the db store, whose thread hop is
    in the ORM; the other stores stay listed as candidates in the chain. The
    component is a wrapper all the same: most of its entry points hop into
    a thread to run its own sync code (SessionBase's `sync_to_async`
    defaults, the cache stores)."""
    sessions = release.component("contrib.sessions")
    assert sessions.stage is Stage.ASYNC_WRAPPER
    assert sessions.thread_ends["orm-queryset"] > sessions.thread_ends.get(
        "contrib.sessions", 0
    )
    f = release.function("django.contrib.sessions.backends.base.SessionBase.aget")
    assert f.hops == ("django.db.models.query.QuerySet.aget",)
    (default,) = [s for s in f.steps if s.default]
    assert default.target == "django.contrib.sessions.backends.db.SessionStore.aload"
    assert (
        "django.contrib.sessions.backends.file.SessionStore.aload" in default.candidates
    )


@pytest.mark.parametrize("name", ["django31", "django52", "django61"])
def test_middleware_mixin_is_middlewares_adapter_judged_once(name, request):
    """MiddlewareMixin (django.utils.deprecation) is credited to middleware:
    its __acall__ is middleware's entry point, hops-here, and the built-in
    middleware list it as inherited with that same judgement, uncounted."""
    result = request.getfixturevalue(name)
    middleware = result.component("middleware")
    assert middleware.stage is Stage.ASYNC_WRAPPER
    adapter = "django.utils.deprecation.MiddlewareMixin.__acall__"
    assert (adapter, "hops-here") in middleware.entry_points
    inherited = {name: rest for name, *rest in middleware.inherited_entry_points}
    assert inherited == {}  # its own classes: the same component
    judgements = {
        judgement
        for c in result.components
        for _, judgement, source in c.inherited_entry_points
        if source == adapter
    }
    assert judgements == {"hops-here"}
    assert result.component("utils").stage is not Stage.ASYNC_WRAPPER


def test_middleware_is_sync_only_before_the_mixin_went_async(django30):
    assert django30.component("middleware").stage is Stage.SYNC_ONLY


def test_cache_aget_many_is_native_but_reaches_only_a_thread(django52):
    """BaseCache.aget_many looks native, but every path hops in BaseCache.aget."""
    f = django52.function(
        "django.core.cache.backends.base.BaseCache.aget_many", is_async=True
    )
    assert f.kind is Kind.ASYNC_NATIVE
    assert f.reaches is Reach.THREAD
    assert f.hops == ("django.core.cache.backends.base.BaseCache.aget",)
    assert f.chain == ("BaseCache.aget_many", "BaseCache.aget", "sync_to_async(get)")


def test_cache_aget_is_a_wrapper(django52):
    f = django52.function("django.core.cache.backends.base.BaseCache.aget")
    assert f.kind is Kind.ASYNC_WRAPPER
    assert f.reaches is Reach.THREAD


def test_queryset_aget_is_a_wrapper_twinned_with_get(django52):
    f = django52.function("django.db.models.query.QuerySet.aget")
    assert f.kind is Kind.ASYNC_WRAPPER
    assert f.twin == "QuerySet.get"
    pair = next(
        p
        for p in django52.pairs
        if p.module == "django.db.models.query" and p.async_qualname == "QuerySet.aget"
    )
    assert pair.relation is Relation.DELEGATING


def test_signal_asend_is_native_and_concurrent(django52):
    """asend runs its sync receivers in one hop and gathers the async ones:
    its reach is the hop, and its stage native (it runs awaitables
    concurrently)."""
    f = django52.function("django.dispatch.dispatcher.Signal.asend")
    assert f.kind is Kind.ASYNC_NATIVE
    assert f.concurrent
    assert f.reaches is Reach.THREAD
    assert ("django.dispatch.dispatcher.Signal.asend", "native") in (
        django52.component("signals").entry_points
    )


def test_aauthenticate_is_native_and_copies_authenticate(django52):
    f = django52.function("django.contrib.auth.aauthenticate")
    assert f.kind is Kind.ASYNC_NATIVE
    assert f.twin == "authenticate"
    pair = next(
        p
        for p in django52.pairs
        if p.module == "django.contrib.auth" and p.async_qualname == "aauthenticate"
    )
    assert pair.relation in (Relation.DERIVABLE, Relation.NEAR_COPY)


def test_model_backend_aauthenticate_is_derivable(django52):
    """Token-identical to authenticate under unasync's generic rule, though
    black wrapped the longer awaited line differently."""
    pair = next(
        p
        for p in django52.pairs
        if p.module == "django.contrib.auth.backends"
        and p.async_qualname == "ModelBackend.aauthenticate"
    )
    assert pair.sync_qualname == "ModelBackend.authenticate"
    assert pair.relation is Relation.DERIVABLE


def test_paginator_async_siblings_are_twinned(django61):
    """6.0 added AsyncPaginator/AsyncPage beside Paginator/Page."""
    apage = django61.function("django.core.paginator.AsyncPaginator.apage")
    assert apage.twin == "Paginator.page"
    previous = django61.function("django.core.paginator.AsyncPage.ahas_previous")
    assert previous.twin == "Page.has_previous"
    paginator = django61.component("paginator")
    assert paginator.async_twins * 2 > paginator.public_async


def test_send_mail_is_sync(django52):
    f = django52.function("django.core.mail.send_mail")
    assert f.kind is Kind.SYNC
    assert not f.is_async


def test_file_session_store_blocks_the_loop(django52):
    """SessionStore.aload of the file backend calls its sync twin on the loop."""
    f = django52.function(
        "django.contrib.sessions.backends.file.SessionStore.aload", is_async=True
    )
    assert [b.name for b in f.blocking] == ["self.load"]
    # An async face over the sync implementation, with no thread.
    assert f.kind is Kind.ASYNC_WRAPPER
    assert f.reaches is Reach.LOOP
    pair = next(
        p
        for p in django52.pairs
        if p.module == "django.contrib.sessions.backends.file"
        and p.async_qualname == "SessionStore.aload"
    )
    assert pair.relation is Relation.DELEGATING


def test_signal_send_gathers_async_receivers_through_a_bridge(release):
    """Signal.send runs its async receivers concurrently via async_to_sync."""
    f = release.function("django.dispatch.dispatcher.Signal.send")
    assert not f.is_async
    assert f.concurrent


def test_middleware_mixin_acall_reaches_a_thread(django52):
    """It hops for its own work and only passes through to get_response."""
    f = django52.function("django.utils.deprecation.MiddlewareMixin.__acall__")
    assert f.reaches is Reach.THREAD


def test_view_decorator_wrappers_are_twin_closures_not_apis(django52):
    """The sync and async `_view_wrapper` of one decorator are twins, two
    functions (identity keeps the colours apart), and no API."""
    wrappers = [
        f
        for f in django52.functions
        if f.full_name == "django.views.decorators.cache.never_cache.<locals>"
        "._view_wrapper"
    ]
    assert sorted(f.is_async for f in wrappers) == [False, True]
    assert all(f.closure and not f.public for f in wrappers)
    assert all(f.twin == wrappers[0].qualname for f in wrappers)


def test_component_stages(django52):
    stage = {c.name: c.stage for c in django52.components}
    assert stage["mail"] is Stage.SYNC_ONLY
    assert stage["templates"] is Stage.SYNC_ONLY
    assert stage["cache"] is Stage.ASYNC_WRAPPER
    assert stage["signals"] is Stage.ASYNC_NATIVE
    assert stage["contrib.auth"] is Stage.ASYNC_NATIVE
    assert "orm-queryset" in django52.component("contrib.auth").boundary


def test_tests_folder_counts_doubled_tests(django52):
    auth = next(t for t in django52.tests if t.component == "contrib.auth")
    assert auth.tests > auth.async_tests > auth.async_tests_with_sync_twin > 0


def test_only_the_deliberately_broken_file_fails_to_parse(django52):
    assert [e.path for e in django52.parse_errors] == [
        "tests/test_runner_apps/tagged/tests_syntax_error.py"
    ]


def test_django61_table(django61):
    """The 6.1 table names every component; Signal.asend uses a local helper."""
    table = format_table(django61)
    for name in ("cache", "contrib.auth", "signals", "tasks", "templates"):
        assert f"\n{name} " in table
    f = django61.function("django.dispatch.dispatcher.Signal.asend")
    assert f.concurrent and f.concurrency_sites == 0  # through _run_parallel


def test_fast_path_gives_the_same_records_as_libcst(django52_tree: Path):
    """Every sync-only file of django/ and tests/: ast path == libcst path."""
    component_map = ComponentMap.load()
    checked = 0
    for rel, path in source_files(django52_tree, component_map):
        data = path.read_bytes()
        if not holds_no_async(data) or (checked > 400 and rel.startswith("tests/")):
            continue
        module = module_name(rel)
        fast = analyze_file(data, module=module, path=rel)
        full = analyze_file(data, module=module, path=rel, force_full=True)
        assert fast == full, rel
        checked += 1
    assert checked > 800
