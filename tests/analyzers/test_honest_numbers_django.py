"""Issue 13's public examples on real Django releases: every headline figure
backed by a chain to what decides it, or said to be unknown."""

import subprocess
import sys
from pathlib import Path

import pytest

from analyzers.records import Reach, Relation, Resolution, Stage

REPO = Path(__file__).resolve().parents[2]
LAST_STEP = {
    Reach.THREAD: {Resolution.HOP},
    Reach.ASYNC_IO: {Resolution.IO},
    Reach.UNKNOWN: {Resolution.UNSEEN, Resolution.NAME},
}


def test_every_reach_but_loop_has_a_chain_to_what_decides_it(django61):
    """No async function says thread, async-io or unknown without a chain
    ending in the hop, the I/O or the call that could not be followed."""
    unbacked = [
        (f.full_name, f.reaches, f.chain)
        for f in django61.functions
        if f.is_async
        and f.reaches in LAST_STEP
        and not (f.steps and f.steps[-1].resolution in LAST_STEP[f.reaches])
    ]
    assert unbacked == []


def test_acreate_user_reaches_the_hop_of_model_asave(django61):
    """acreate_user awaits self._acreate_user, which awaits user.asave() on
    the user `_create_user_object` builds: sync_to_async(self.save)."""
    f = django61.function("django.contrib.auth.models.UserManager.acreate_user")
    assert f.reaches is Reach.THREAD
    assert f.chain == (
        "UserManager.acreate_user",
        "UserManager._acreate_user",
        "Model.asave",
        "sync_to_async(save)",
    )


def test_aget_list_or_404_iterates_a_queryset_into_its_hop(django61):
    """`async for` over the queryset runs QuerySet.__aiter__'s generator."""
    f = django61.function("django.shortcuts.aget_list_or_404")
    assert f.reaches is Reach.THREAD
    assert f.chain[1:] == (
        "QuerySet.__aiter__.<locals>.generator",
        "sync_to_async(_fetch_all)",
    )


@pytest.mark.parametrize("name", ["django52", "django61"])
def test_aget_object_or_404_awaits_queryset_aget_by_what_it_is(name, request):
    """`queryset = _get_queryset(klass)` is typed by what _get_queryset
    returns (a manager's `all()`): QuerySet.aget, not BaseCache.aget."""
    f = request.getfixturevalue(name).function("django.shortcuts.aget_object_or_404")
    assert f.chain == ("aget_object_or_404", "QuerySet.aget", "sync_to_async(get)")
    assert Resolution.NAME not in {s.resolution for s in f.steps}


@pytest.mark.parametrize("name", ["django31", "django52", "django61"])
@pytest.mark.parametrize(
    "component",
    [
        "contrib.admin",
        "contrib.messages",
        "contrib.sites",
        "contrib.redirects",
        "contrib.flatpages",
        "contrib.admindocs",
    ],
)
def test_an_inherited_middleware_lifts_no_component(name, component, request):
    """These define no async API of their own (admin's CSPMiddleware lived in
    a Selenium test helper, tests.py): sync-only, the adapter listed."""
    summary = request.getfixturevalue(name).component(component)
    assert summary.stage is Stage.SYNC_ONLY
    assert summary.entry_points == ()


def test_one_function_one_judgement_wherever_it_is_counted(django61):
    """An inherited entry point carries the judgement of the function it is,
    the same as where that function is counted."""
    own = {
        name: judgement
        for c in django61.components
        for name, judgement in c.entry_points
    }
    inherited = [
        (source, judgement)
        for c in django61.components
        for _, judgement, source in c.inherited_entry_points
        if source in own
    ]
    assert inherited
    assert all(own[source] == judgement for source, judgement in inherited)


@pytest.mark.parametrize("name", ["django30", "django31"])
def test_staticfiles_serves_in_a_thread_through_its_mixin(name, request):
    """ASGIStaticFilesHandler.__call__ awaits super().__call__ (handlers),
    whose self.get_response(_async) is the staticfiles mixin's, which hops
    to serve: a wrapper, whatever the handler's own I/O."""
    staticfiles = request.getfixturevalue(name).component("contrib.staticfiles")
    assert staticfiles.stage is Stage.ASYNC_WRAPPER
    assert (
        "django.contrib.staticfiles.handlers.ASGIStaticFilesHandler.__call__",
        "hops-here",
    ) in staticfiles.entry_points


def test_handlers_hop_once_in_30_and_run_an_async_path_in_31(django30, django31):
    """3.0's ASGIHandler.__call__ runs the request in one hop of its own sync
    get_response; from 3.1 its own hops run other components' sync code
    (signals, http) and the request takes the async path."""
    handlers30 = django30.component("handlers")
    assert handlers30.entry_points == (
        ("django.core.handlers.asgi.ASGIHandler.__call__", "hops-here"),
    )
    assert handlers30.stage is Stage.ASYNC_WRAPPER
    handlers31 = django31.component("handlers")
    assert ("django.core.handlers.asgi.ASGIHandler.__call__", "native") in (
        handlers31.entry_points
    )
    assert handlers31.stage is Stage.ASYNC_NATIVE
    f = django31.function("django.core.handlers.asgi.ASGIHandler.__call__")
    assert f.reaches is Reach.ASYNC_IO and f.chain[-1] == "receive()"


def test_no_closure_is_a_public_async_api(django61):
    closures = [f for f in django61.functions if f.is_async and f.closure]
    assert closures and not [f for f in closures if f.public]
    assert django61.component("decorators").public_async == 0
    assert sum(c.closures for c in django61.components) == len(closures)
    apis = [f for f in django61.functions if f.is_async and f.public]
    assert sum(c.public_async for c in django61.components) == len(apis)


def test_branch_definitions_are_two_functions(django61):
    """The sync and async `_view_wrapper` of one decorator, defined in the two
    branches of an `if`, have one qualname and two identities."""
    wrappers = [
        (f.is_async, f.variant)
        for f in django61.functions
        if f.full_name == "django.views.decorators.cache.cache_control.<locals>"
        "._cache_controller.<locals>._view_wrapper"
    ]
    assert sorted(wrappers) == [(False, 0), (True, 0)]


def test_concurrency_counts_async_functions_only(django61):
    """One definition: async functions that run awaitables concurrently,
    themselves or through a helper of their module (asend through
    _run_parallel); Signal.send, which bridges to them, does not count."""
    signals = django61.component("signals")
    send = django61.function("django.dispatch.dispatcher.Signal.send")
    assert send.concurrent and not send.is_async
    counted = sorted(
        f.qualname
        for f in django61.functions
        if f.component == "signals" and f.is_async and f.concurrent
    )
    assert counted == [
        "Signal.asend",
        "Signal.asend_robust",
        "Signal.send.<locals>.asend",  # the closure send bridges to
        "Signal.send_robust.<locals>.asend",
        "_run_parallel",
    ]
    assert signals.concurrent_functions == len(counted)


def test_thread_hops_and_where_they_end(django61):
    """Hop counts on every path, and the end-to-end figure beside the stage:
    sessions' own code is mostly not where its threads run. A session read
    once is cached: aget hops at most once, and may not at all."""
    f = django61.function("django.contrib.sessions.backends.base.SessionBase.aget")
    assert (f.hops_fewest, f.hops_most) == (0, 1)
    sessions = django61.component("contrib.sessions")
    assert sessions.thread_ends["orm-queryset"] >= 20
    assert sessions.hops_most >= sessions.hops_fewest > 0


def test_cli_lists_a_components_entry_points_with_inherited_ones(django61_tree):
    """`python -m analyzers TREE --component contrib.auth` prints each entry
    point with its judgement, and the inherited ones apart."""
    run = subprocess.run(
        [sys.executable, "-m", "analyzers", str(django61_tree), "--component",
         "contrib.auth"],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "django.contrib.auth.aauthenticate: hops-here" in run.stdout
    assert (
        "AuthenticationMiddleware.__acall__: hops-here (from "
        "django.utils.deprecation.MiddlewareMixin.__acall__)" in run.stdout
    )


def test_client_alogin_is_derivable_with_its_imported_rename(django61):
    """alogin imports aauthenticate where login imports authenticate: the
    rename applies to the import as to the call."""
    pair = next(
        p
        for p in django61.pairs
        if p.module == "django.test.client" and p.async_qualname == "ClientMixin.alogin"
    )
    assert pair.relation is Relation.DERIVABLE
    assert "aauthenticate->authenticate" in pair.renames
