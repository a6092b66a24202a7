from django.urls import path

from tracker.web import errors, lists, pages
from tracker.web.api import api

urlpatterns = [
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
    path("api/v1/", api.urls),
    path("robots.txt", pages.robots_txt, name="robots-txt"),
    path("favicon.ico", errors.favicon, name="favicon"),
]
