"""The site's URLs: every page of a project under /p/<project>/ (a prefix no
page had before, so no old URL can mean a new page), the home page listing
the projects at /, the API under /api/v1/. The paths the pages had before
projects (/components/, /releases/6.1/...) redirect to the default
project's (`ASYNCDASH_PROJECT`, Django)."""

from django.urls import include, path, re_path

from tracker.web import errors, lists, pages, projects
from tracker.web.api import api

project_patterns = [
    path("", pages.overview, name="overview"),
    path("components/", lists.components, name="components"),
    path("components/<str:name>/", pages.component, name="component"),
    path("releases/<str:version>/", pages.release, name="release"),
    path(
        "releases/<str:version>/functions/",
        lists.release_functions,
        name="release-functions",
    ),
    path(
        "releases/<str:version>/functions/<path:full_name>/",
        pages.function,
        name="function",
    ),
    path("releases/<str:version>/pairs/", lists.release_pairs, name="release-pairs"),
    path("releases/<str:version>/pairs/<path:full_name>/", pages.pair, name="pair"),
    path(
        "releases/<str:version>/source/<path:path>",
        pages.source_file,
        name="source",
    ),
    path("releases/<str:version>/tests/", lists.release_tests, name="release-tests"),
    path("one-sided-changes/", lists.one_sided_changes, name="one-sided-changes"),
    path("search/", pages.search, name="search"),
    path("scans/", pages.scans, name="scans"),
    path("scans/start/", pages.scan_start, name="scan-start"),
]

urlpatterns = [
    path("", projects.home, name="home"),
    path("p/<slug:project>/", include(project_patterns)),
    path("api/v1/", api.urls),
    path("robots.txt", pages.robots_txt, name="robots-txt"),
    path("favicon.ico", errors.favicon, name="favicon"),
    re_path(
        r"^(?P<rest>(components|releases|one-sided-changes|search|scans)/.*)$",
        projects.legacy,
        name="legacy",
    ),
]
