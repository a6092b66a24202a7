"""What every page's template needs: the project it is about (from its URL,
/p/<project>/...) and the tracked projects, for the switcher (one query)."""

from __future__ import annotations

from django.http import HttpRequest

from tracker import selectors


def projects(request: HttpRequest) -> dict:
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("project") if match else None
    tracked = selectors.project_list()
    return {
        "projects": tracked,
        # "" when the URL names no project, or one not tracked.
        "project_slug": slug if any(p.slug == slug for p in tracked) else "",
    }
