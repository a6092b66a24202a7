"""The edge of the site: what every request and answer passes through first.

- A URL, cookie or header with a control character is a 400 before anything
  reads it (NUL above all: PostgreSQL refuses it in any string).
- A query parameter a page does not take, or one given twice, is a 400: it
  can make neither a page nor a cache entry of its own. Pages declare theirs
  with `accepts`; the API's operations refuse their own (`api.only`).
- HEAD is answered as GET is, without the body; `If-None-Match: *` on what
  exists is a 304.
- Bidi controls (U+202E...) in a page or a text answer are shown as
  `<U+202E>`: scanned code and names cannot reorder what a reader sees.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django import forms
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Header values may hold a tab; WSGI gives them as Latin-1, so bytes of UTF-8
# text look like C1 controls there: only C0 and DEL are refused.
HEADER_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Arabic letter mark, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI
# as UTF-8 bytes.
BIDI = re.compile(rb"\xd8\x9c|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
# The API's own views that take no parameter; its operations check theirs.
API_SCHEMA_VIEWS = {"openapi-json", "openapi-view"}
# What the API's schema says of its free-text parameters (ECMA-262 regex).
NO_CONTROL_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"


def accepts(*sources: str | type[forms.Form]) -> Callable:
    """Declare the query parameters a view takes: names, or forms' fields.

    A view that declares none takes none.
    """
    names = frozenset(
        name
        for source in sources
        for name in ([source] if isinstance(source, str) else source.base_fields)
    )

    def decorate(view: Callable) -> Callable:
        view.query_params = names
        return view

    return decorate


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 in the API's form (JSON with a detail) or the pages' (text)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"bad request: {message}"}, status=400)
    return HttpResponseBadRequest(f"bad request: {message}", content_type="text/plain")


def _has_control(values: Iterable[str], pattern: re.Pattern = CONTROL) -> bool:
    return any(pattern.search(value) for value in values)


def _refused(request: HttpRequest) -> HttpResponse | None:
    if _has_control([request.path_info]):
        return _bad_request(request, "a control character in the path")
    if _has_control([*request.GET, *request.GET.values()]):
        return _bad_request(request, "a control character in the query")
    if _has_control([*request.COOKIES, *request.COOKIES.values()]):
        return _bad_request(request, "a control character in a cookie")
    headers = [v for k, v in request.META.items() if k.startswith("HTTP_")]
    if _has_control(headers, HEADER_CONTROL):
        return _bad_request(request, "a control character in a header")
    return None


def _etags(request: HttpRequest) -> set[str]:
    header = request.headers.get("If-None-Match", "")
    return {tag.strip() for tag in header.split(",")}


def _visible_bidi(match: re.Match) -> bytes:
    return f"&lt;U+{ord(match.group().decode()):04X}&gt;".encode()


def _visible_bidi_text(match: re.Match) -> bytes:
    return f"<U+{ord(match.group().decode()):04X}>".encode()


class EdgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = _refused(request)
        if refused is not None:
            return refused
        head = request.method == "HEAD"
        if head:  # every view that answers GET answers HEAD alike
            request.method = "GET"
        response = self.get_response(request)
        if response.status_code == 200 and "*" in _etags(request):
            # Any current representation matches `*`: streamed files too
            # (ConditionalGetMiddleware sees only answers it can tag).
            response.status_code = 304
            for header in ("Content-Length", "Content-Type"):
                del response[header]
            head = True
        if not response.streaming:
            _show_bidi(response)
            if head:
                if response.status_code != 304:
                    response["Content-Length"] = str(len(response.content))
                response.content = b""
        elif head:
            response.streaming_content = []
        return response

    def process_view(self, request: HttpRequest, view, args, kwargs):
        match = request.resolver_match
        if "admin" in match.namespaces:
            return None  # the admin's own filters and lists
        repeated = sorted(
            name for name, values in request.GET.lists() if len(values) > 1
        )
        if repeated:
            message = f"{', '.join(repeated)}: given more than once"
            return _bad_request(request, message)
        if "api" in match.namespaces and match.url_name not in API_SCHEMA_VIEWS:
            return None  # every operation refuses what it does not take
        if getattr(view, "passes_query", False):
            return None  # a redirect: the page it leads to checks them
        unknown = sorted(set(request.GET) - getattr(view, "query_params", frozenset()))
        if unknown:
            return _bad_request(request, f"unknown parameter: {', '.join(unknown)}")
        return None


def _show_bidi(response: HttpResponse) -> None:
    kind = response.get("Content-Type", "")
    if not kind.startswith(("text/html", "text/plain")):
        return  # JSON escapes them already (\u202e)
    if not BIDI.search(response.content):
        return
    sub = _visible_bidi if kind.startswith("text/html") else _visible_bidi_text
    response.content = BIDI.sub(sub, response.content)
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))


def schema_with_edge_rules(schema: dict) -> dict:
    """The API's OpenAPI schema, saying that a free-text parameter may not
    hold a control character (the edge refuses one with a 400)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                found = parameter.get("schema", {})
                for option in [found, *found.get("anyOf", ())]:
                    if option.get("type") == "string" and "enum" not in option:
                        option.setdefault("pattern", NO_CONTROL_PATTERN)
    return schema
