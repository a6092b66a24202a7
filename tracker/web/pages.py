"""The dashboard's pages: thin views over the selectors.

Each page is one template; an htmx request gets the partial it asked for
(`page.html#partial`), a plain request the whole page, so every URL works
without JavaScript and `Vary: HX-Request` keeps caches apart.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from analyzers.records import REACH_RULE, ComponentSummary, Kind, Reach, Relation
from analyzers.serialize import from_jsonable
from analyzers.tree_pass.components import STAGE_RULE
from tracker import selectors, versions
from tracker.models import Project, Release, ReleaseFile, Scan
from tracker.scanning import requests
from tracker.scanning.one_sided import CHANGE_CLASS_RULE
from tracker.web import forms, source
from tracker.web.caching import cached_page
from tracker.web.edge import accepts

# A cell's detail lists at most this many functions; its component page all.
DETAIL_FUNCTIONS = 200


def _project(slug: str) -> Project:
    project = selectors.project_get(slug=slug)
    if project is None:
        raise Http404(f"no project {slug} is tracked (manage.py add_project adds one)")
    return project


def _release(project: Project, version: str) -> Release:
    release = selectors.release_get(project=project, version=version)
    if release is None:
        raise Http404(f"release {version} has not been scanned")
    return release


def _bad_request(form) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(
        f"bad parameter: {forms.errors_text(form)}", content_type="text/plain"
    )


def _render(request: HttpRequest, page: str, partial: str, context: dict):
    """The page, or just `partial` of it for an htmx request."""
    template = f"{page}#{partial}" if request.htmx else page
    return render(request, template, context)


# Overview --------------------------------------------------------------------
@accepts(forms.MatrixForm)
@require_GET
@vary_on_headers("HX-Request")
@cached_page
def overview(request: HttpRequest, project: str) -> HttpResponse:
    form = forms.MatrixForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    project = _project(project)
    options = form.cleaned_data
    detail = None
    if options["component"] and options["release"]:
        detail = _component_detail(project, options["component"], options["release"])
    if request.htmx:  # a cell was chosen: only its detail is needed
        return render(
            request,
            "tracker/overview.html#cell-detail",
            {"detail": detail, "toggles": _toggles(options)},
        )
    scanned = selectors.release_kinds(project=project)
    if not scanned["features"]:
        # Only point releases scanned (httpcore 1.0.8 and 1.0.9): hiding them
        # would leave the matrix empty, so they are the columns.
        options = {**options, "points": True}
    releases = list(
        selectors.release_list(
            project=project, points=options["points"], snapshots=options["snapshots"]
        )
    )
    newest = selectors.release_get(project=project)
    headlines, previous, figures = (
        selectors.headlines(release=newest) if newest else ([], None, {})
    )
    context = {
        "project": project,
        "form": form,
        "releases": releases,
        "matrix": selectors.component_matrix(releases=releases),
        "newest": newest,
        "previous": previous,
        "headlines": headlines,
        "figures": figures,
        "detail": detail,
        "toggles": _toggles(options),
        "scanned": scanned,
        "concurrency_rule": selectors.CONCURRENCY_RULE,
        "reach_rule": REACH_RULE,
        "hop_cost_ms": settings.ASYNCDASH_HOP_COST_MS,
    }
    return render(request, "tracker/overview.html", context)


def _toggles(options: dict) -> dict:
    """The column toggles, and the query that keeps them on a cell's link."""
    chosen = {k: "on" for k in ("points", "snapshots") if options[k]}
    return {
        "points": options["points"],
        "snapshots": options["snapshots"],
        "query": urlencode(chosen),
    }


def _component_detail(project: Project, name: str, version: str) -> dict:
    release = _release(project, version)
    stat = selectors.component_get(release=release, name=name)
    if stat is None:
        raise Http404(f"no component {name} in {version}")
    summary = from_jsonable(ComponentSummary, stat.summary)
    public_async = selectors.function_list(
        release=release, filters=replace(selectors.PUBLIC_ASYNC, component=name)
    )
    return {
        "release": release,
        "summary": summary,
        "functions": public_async[:DETAIL_FUNCTIONS],
        "function_count": public_async.count(),
    }


# Component -------------------------------------------------------------------
@accepts(forms.FunctionFilterForm, "release")
@require_GET
@vary_on_headers("HX-Request")
@cached_page
def component(request: HttpRequest, project: str, name: str) -> HttpResponse:
    project = _project(project)
    history = selectors.component_history(project=project, name=name)
    if not history:
        raise Http404(f"no component {name}")
    releases = [p.release for p in history if not p.release.is_snapshot]
    version = (
        request.GET.get("release") or (releases or [history[-1].release])[-1].version
    )
    point = next((p for p in history if p.release.version == version), None)
    if point is None:
        return HttpResponseBadRequest(
            f"bad parameter: release: {name} has no release {version!r}",
            content_type="text/plain",
        )
    release = point.release
    form = forms.FunctionFilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    functions = selectors.function_list(
        release=release,
        filters=form.filters(component=name),
        ordering=form.cleaned_data["sort"] or "name",
    )
    context = {
        "name": name,
        "history": history,
        "release": release,
        "summary": point.summary,
        "form": form,
        "functions": functions[:500],
        "function_count": functions.count(),
        "closures": selectors.function_list(
            release=release,
            filters=selectors.FunctionFilters(component=name, closure=True),
        ),
        "kinds": [k.value for k in Kind],
        "reaches": [r.value for r in Reach],
        "relations": [r.value for r in Relation],
        "stage_rule": STAGE_RULE,
        "reach_rule": REACH_RULE,
        "chart_data": _chart_data(history),
    }
    return _render(request, "tracker/component.html", "function-table", context)


def _chart_data(history: list[selectors.ComponentPoint]) -> dict:
    """Series for the trend charts, each with its axis title; the page shows
    the same numbers as a table."""
    summaries = [p.summary for p in history]
    return {
        "labels": [p.release.version for p in history],
        "kinds": {
            k.value: [s.public_by_kind.get(k.value, 0) for s in summaries]
            for k in Kind
            if k is not Kind.SYNC
        },
        "reaches": {
            r.value: [s.reaches.get(r.value, 0) for s in summaries] for r in Reach
        },
        "hops": {
            "fewest hops": [s.hops_fewest for s in summaries],
            "most hops": [s.hops_most for s in summaries],
        },
        "duplicated": {"duplicated lines": [s.duplicated_lines for s in summaries]},
        "relations": {
            r.value: [s.pairs_by_relation.get(r.value, 0) for s in summaries]
            for r in Relation
        },
        "tests": {
            "async tests": [p.async_tests for p in history],
            "doubled tests": [p.doubled_tests for p in history],
        },
    }


# Function and twin pair -----------------------------------------------------------
@accepts(forms.FunctionIdentityForm)
@require_GET
@cached_page
def function(
    request: HttpRequest, project: str, version: str, full_name: str
) -> HttpResponse:
    form = forms.FunctionIdentityForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    project = _project(project)
    release = _release(project, version)
    record = selectors.function_get(
        release=release, full_name=full_name, **form.identity()
    )
    if record is None:
        raise Http404(f"no function {full_name} in {version}")
    file, text = source.function_text(release=release, function=record)
    lines = source.function_source(text, record) if text is not None else None
    pair = selectors.pair_of_function(function=record)
    context = {
        "release": release,
        "f": record,
        "file": file,
        "lines": lines,
        "lines_total": source.line_count(record),
        "pair": pair,
        "chain": selectors.chain_links(function=record),
        "definitions": selectors.function_definitions(function=record),
        "history": selectors.function_history(
            project=project,
            module=record.module,
            qualname=record.qualname,
            is_async=record.is_async,
            variant=record.variant,
        ),
        "reach_rule": REACH_RULE,
    }
    return render(request, "tracker/function.html", context)


@require_GET
@cached_page
def pair(
    request: HttpRequest, project: str, version: str, full_name: str
) -> HttpResponse:
    project = _project(project)
    release = _release(project, version)
    twin_pair = selectors.pair_get(release=release, full_name=full_name)
    if twin_pair is None:
        raise Http404(f"no twin pair {full_name} in {version}")
    sides = {
        side: selectors.function_get(
            release=release,
            full_name=_side_name(twin_pair, side),
            is_async=side == "async",
        )
        for side in ("sync", "async")
    }
    # Each side's file: one for a pair in one module, two across twin modules.
    texts = {
        side: source.function_text(release=release, function=found)
        if found
        else (None, None)
        for side, found in sides.items()
    }
    file, text = texts["async"] if sides["async"] else texts["sync"]
    stored = source.stored_pair(pair=twin_pair, file=file)
    rows = None
    if all(sides.values()) and all(t is not None for _, t in texts.values()):
        rows = source.side_by_side(
            source.function_source(texts["sync"][1], sides["sync"]),
            source.function_source(texts["async"][1], sides["async"]),
        )
    history = selectors.pair_history(pair=twin_pair)
    change = next((d for p, d in history if p.release_id == release.pk), None)
    context = {
        "release": release,
        "pair": twin_pair,
        "sync": sides["sync"],
        "async": sides["async"],
        "rows": rows,
        "file": file,
        "truncated": any(
            side and source.line_count(side) > source.MAX_SOURCE_LINES
            for side in sides.values()
        ),
        "stored": stored,
        "history": history,
        "change": change,
        "sync_file": texts["sync"][0],
        "diffs": _pair_changes(twin_pair, change, sides, texts) if change else [],
        "change_class_rule": CHANGE_CLASS_RULE,
        "side_names": ("sync", "async"),
    }
    return render(request, "tracker/pair.html", context)


def _side_name(twin_pair, side: str) -> str:
    """The full name of one side of a pair (the sync side may be in its twin
    module: httpcore._sync.http11 for httpcore._async.http11)."""
    if side == "sync":
        return f"{twin_pair.sync_module_name}.{twin_pair.sync_qualname}"
    return f"{twin_pair.module}.{twin_pair.async_qualname}"


def _pair_changes(twin_pair, change, sides, texts) -> list[tuple[str, list]]:
    """Each side that changed since the previous release, as a unified diff."""
    diffs = []
    for side, changed in (
        ("sync", change.sync_changed),
        ("async", change.async_changed),
    ):
        qualname = getattr(twin_pair, f"{side}_qualname")
        old = selectors.function_get(
            release=change.previous,
            full_name=_side_name(twin_pair, side),
            is_async=side == "async",
        )
        text = texts[side][1]
        old_text = None
        if changed and old:
            _, old_text = source.function_text(release=change.previous, function=old)
        if changed and old and sides[side] and old_text and text:
            lines = source.release_change(
                source.function_source(old_text, old),
                source.function_source(text, sides[side]),
            )
            diffs.append((qualname, lines))
    return diffs


# Release, search ------------------------------------------------------------------
@require_GET
@cached_page
def release(request: HttpRequest, project: str, version: str) -> HttpResponse:
    project = _project(project)
    this = _release(project, version)
    base = this.previous
    changes = selectors.release_changes(base=base, head=this) if base else None
    context = {
        "release": this,
        "components": selectors.release_components(release=this),
        "figures": selectors.release_component_figures(release=this),
        "totals": selectors.release_figures(release=this),
        "parse_failures": selectors.release_parse_failures(release=this),
        "scan": this.scan_set.order_by("-finished_at").first(),
        "changes": changes,
        "one_sided_groups": (
            selectors.one_sided_groups(changes.one_sided) if changes else []
        ),
        "concurrency_rule": selectors.CONCURRENCY_RULE,
        "figure_map": {f.key: f for f in selectors.HEADLINES},
    }
    return render(request, "tracker/release.html", context)


@accepts(forms.SearchForm)
@require_GET
@vary_on_headers("HX-Request")
@cached_page
def search(request: HttpRequest, project: str) -> HttpResponse:
    form = forms.SearchForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    text = form.cleaned_data["q"].strip()
    results = (
        selectors.function_search(project=_project(project), text=text) if text else []
    )
    context = {"form": form, "q": text, "results": results}
    return _render(request, "tracker/search.html", "results", context)


# Scans -------------------------------------------------------------------------------
@require_GET
@vary_on_headers("HX-Request")
def scans(request: HttpRequest, project: str) -> HttpResponse:
    project = _project(project)
    context = {
        "scans": selectors.scan_list(project=project),
        "active": selectors.scans_active(project=project),
        "form": forms.ScanStartForm(),
    }
    return _render(request, "tracker/scans.html", "progress", context)


@require_POST
@staff_member_required
def scan_start(request: HttpRequest, project: str) -> HttpResponse:
    """Staff only (the decorator sends others to the login page, queueing
    nothing); CSRF-checked like every POST."""
    form = forms.ScanStartForm(request.POST)
    if not form.is_valid():
        return _bad_request(form)
    version = form.cleaned_data["version"]
    try:
        requests.scans_request_versions(
            project=_project(project), versions=[version], trigger=Scan.Trigger.MANUAL
        )
    except (versions.VersionError, requests.ReleaseNotFoundError):
        return HttpResponseBadRequest(
            f"bad parameter: version: no release tag {version!r} in the mirror",
            content_type="text/plain",
        )
    messages.success(request, f"Scan of {version} requested.")
    return redirect("scans", project)


@require_GET
@cached_page
def source_file(
    request: HttpRequest, project: str, version: str, path: str
) -> HttpResponse:
    """A scanned file's whole text, where pages show a bounded part of it."""
    release = _release(_project(project), version)
    file = ReleaseFile.objects.filter(release=release, path=path).first()
    text = source.file_text(release=release, file=file) if file else None
    limit = settings.ASYNCDASH_FILE_LIMITS.max_file_bytes  # what a scan analyses
    if text is None or len(text) > limit:
        raise Http404(f"no readable file {path} of at most {limit} bytes")
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Crawlers may read the pages but not hammer searches or the API.

    Also the trivial view the load benchmark compares the pages with.
    """
    return HttpResponse(
        "User-agent: *\nDisallow: /search/\nDisallow: /api/\n",
        content_type="text/plain",
    )
