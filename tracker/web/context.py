"""What every page's template needs: the project it is about (from its URL,
/p/<project>/...) and the tracked projects, for the switcher (one query)."""

from __future__ import annotations

import re

from django.http import HttpRequest

from tracker import selectors

# Also for a path under a project that resolves to no page (the 404 page).
_PROJECT_PATH = re.compile(r"^/p/([-a-zA-Z0-9_]+)/")


def projects(request: HttpRequest) -> dict:
    match = _PROJECT_PATH.match(request.path_info)
    slug = match.group(1) if match else None
    tracked = selectors.project_list()
    return {
        "projects": tracked,
        # "" when the URL names no project, or one not tracked.
        "project_slug": slug if any(p.slug == slug for p in tracked) else "",
    }
