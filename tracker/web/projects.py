"""The pages above the projects: the home page with every tracked project's
headline figures side by side, and the redirects that keep the URLs of the
pages from before projects had URLs (they are the default project's)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tracker import selectors
from tracker.web import forms
from tracker.web.caching import cached_page
from tracker.web.edge import accepts


class HttpResponsePermanentRedirectKeepMethod(HttpResponsePermanentRedirect):
    status_code = 308  # a POST stays a POST (the scan-start form)


def _default_project_url(rest: str, request: HttpRequest) -> str:
    url = reverse("overview", args=[settings.ASYNCDASH_PROJECT]) + rest
    query = urlencode(list(request.GET.lists()), doseq=True)
    return f"{url}?{query}" if query else url


@accepts(forms.MatrixForm)  # the overview's, when it was at /
@require_GET
@cached_page
def home(request: HttpRequest) -> HttpResponse:
    """The tracked projects side by side; an old overview URL (`/?component=
    auth&release=6.1`) goes to the default project's overview."""
    if request.GET:
        return HttpResponsePermanentRedirect(_default_project_url("", request))
    context = {
        "rows": selectors.project_rows(),
        "public_async": next(f for f in selectors.HEADLINES if f.key == "public_async"),
    }
    return render(request, "tracker/home.html", context)


def legacy(request: HttpRequest, rest: str) -> HttpResponse:
    """A page's URL from before projects: the default project's page now."""
    url = _default_project_url(rest, request)
    if request.method in ("GET", "HEAD"):
        return HttpResponsePermanentRedirect(url)
    return HttpResponsePermanentRedirectKeepMethod(url)


legacy.passes_query = True  # the page it redirects to checks the parameters


# The API's paths from before projects had paths: the default project's.
_LEGACY_API = re.compile(
    r"^/api/v1/(?=(releases|summary|components|functions|pairs|one-sided-changes"
    r"|compare)(/|$))"
)


class LegacyApiMiddleware:
    """Answer `/api/v1/releases` (and every other path that named no project)
    as `/api/v1/projects/<default>/releases`, in place: API clients need not
    follow a redirect, and the links in the answer keep the path asked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _LEGACY_API.match(request.path_info):
            request.path_info = _LEGACY_API.sub(
                f"/api/v1/projects/{settings.ASYNCDASH_PROJECT}/", request.path_info
            )
        return self.get_response(request)
