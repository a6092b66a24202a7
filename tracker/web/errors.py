"""Answers outside the pages: not found (a page with the site's navigation,
or JSON under /api/) and the site's icon."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON for an API client, the site's 404 page for a reader."""
    message = exception.args[0] if exception.args else ""
    if not isinstance(message, str) or "resolved" in str(message):
        message = ""  # Django's own "tried these patterns" text is not for readers
    if request.path.startswith("/api/"):
        detail = message or f"no such API path: {request.path}"
        return JsonResponse({"detail": f"not found: {detail}"}, status=404)
    return render(
        request, "404.html", {"message": message, "path": request.path}, status=404
    )


@require_GET
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    path = finders.find("favicon.ico")
    if path is None:
        raise Http404("no icon")
    return FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115 (FileResponse closes it)
