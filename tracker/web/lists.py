"""The lists behind the figures: a release's functions, twin pairs and test
counts, the one-sided changes, the components. Each headline figure links to
one of them, filtered so that its length is the figure; filters change the
list in place (htmx) and keep the URL.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from analyzers.records import REACH_RULE
from tracker import selectors
from tracker.scanning.one_sided import CHANGE_CLASS_RULE
from tracker.web import forms
from tracker.web.caching import cached_page
from tracker.web.edge import accepts
from tracker.web.pages import _bad_request, _project, _release, _render


def _page_of(rows, request: HttpRequest, number: int | None):
    """One page of `rows` and the links to its neighbours (query kept)."""
    page = Paginator(rows, forms.PAGE_SIZE).get_page(number or 1)
    query = request.GET.copy()

    def link(n: int) -> str:
        query["page"] = str(n)
        return "?" + query.urlencode()

    return {
        "page": page,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
    }


@accepts(forms.FunctionFilterForm)
@require_GET
@vary_on_headers("HX-Request")
@cached_page
def release_functions(request: HttpRequest, project: str, version: str) -> HttpResponse:
    form = forms.FunctionFilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    release = _release(_project(project), version)
    rows = selectors.function_list(
        release=release,
        filters=form.filters(),
        ordering=form.cleaned_data["sort"] or "name",
    ).only(
        "module", "qualname", "component", "kind", "is_async", "reaches", "twin",
        "missing_twin", "blocking", "concurrent", "loc", "hops_fewest", "hops_most",
        "closure", "variant",
    )  # fmt: skip
    context = {
        "release": release,
        "form": form,
        "count": rows.count(),
        "reach_rule": REACH_RULE,
        **_page_of(rows, request, form.cleaned_data["page"]),
    }
    return _render(request, "tracker/functions.html", "function-list", context)


@accepts(forms.PairListForm)
@require_GET
@vary_on_headers("HX-Request")
@cached_page
def release_pairs(request: HttpRequest, project: str, version: str) -> HttpResponse:
    form = forms.PairListForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    release = _release(_project(project), version)
    data = form.cleaned_data
    pairs = selectors.pair_list(
        release=release,
        relation=data["relation"] or None,
        component=data["component"] or None,
        ordering=data["sort"] or "name",
    )
    context = {
        "release": release,
        "form": form,
        "count": pairs.count(),
        **_page_of(pairs, request, data["page"]),
    }
    return _render(request, "tracker/pairs.html", "pair-list", context)


@require_GET
@cached_page
def release_tests(request: HttpRequest, project: str, version: str) -> HttpResponse:
    release = _release(_project(project), version)
    suites = selectors.release_tests(release=release)
    context = {
        "release": release,
        "suites": suites,
        "doubled": sum(s.async_tests_with_sync_twin for s in suites),
    }
    return render(request, "tracker/tests.html", context)


@accepts(forms.OneSidedForm)
@require_GET
@vary_on_headers("HX-Request")
@cached_page
def one_sided_changes(request: HttpRequest, project: str) -> HttpResponse:
    form = forms.OneSidedForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    project = _project(project)
    changes = list(
        selectors.one_sided_list(project=project, filters=form.filters())[:1000]
    )
    context = {
        "form": form,
        "changes": changes,
        "groups": selectors.one_sided_groups(changes),
        "releases": selectors.release_list(project=project, points=True),
        "change_class_rule": CHANGE_CLASS_RULE,
    }
    return _render(request, "tracker/one_sided.html", "change-list", context)


@require_GET
@cached_page
def components(request: HttpRequest, project: str) -> HttpResponse:
    entries = selectors.component_list(project=_project(project))
    return render(request, "tracker/components.html", {"components": entries})
