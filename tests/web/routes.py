"""One sample URL for every route of the site, on the scanned fixture
(tests/web/conftest.py): the edge tests run their hostile variants on each.

`test_every_route_has_a_sample` fails when a route is added without one here.
"""

import json

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# URL name -> a GET on it that answers 200, with every query parameter it
# takes that the sample can show.
P = "/p/demo-web"  # the fixture's project
PAGES = {
    "home": "/",
    "overview": f"{P}/?component=auth&release=1.1&points=on",
    "components": f"{P}/components/",
    "component": f"{P}/components/auth/?release=1.1&kind=async-native&sort=name",
    "release": f"{P}/releases/1.1/",
    "release-functions": f"{P}/releases/1.1/functions/?component=auth&page=1",
    "function": f"{P}/releases/1.1/functions/pkg.auth.aauthenticate/?is_async=yes",
    "release-pairs": f"{P}/releases/1.1/pairs/?component=auth",
    "pair": f"{P}/releases/1.1/pairs/pkg.auth.aauthenticate/",
    "source": f"{P}/releases/1.1/source/pkg/auth.py",
    "release-tests": f"{P}/releases/1.1/tests/",
    "one-sided-changes": f"{P}/one-sided-changes/?release=1.1",
    "search": f"{P}/search/?q=auth",
    "scans": f"{P}/scans/",
    "robots-txt": "/robots.txt",
    "favicon": "/favicon.ico",
    "healthz": "/healthz/",
}
POST_ONLY = {"scan-start"}
# Pages from before projects had URLs: each redirects to the project's.
REDIRECTS = {"legacy": "/components/auth/?release=1.1"}
# Values of the API's path parameters in the fixture.
API_PATH_VALUES = {
    "{project}": "demo-web",
    "{version}": "1.1",
    "{name}": "auth",
    "{full_name}": "pkg.auth.aauthenticate",
}
API_QUERIES = {
    "/api/v1/projects/{project}/functions": "?release=1.1&name=auth",
    "/api/v1/projects/{project}/pairs": "?release=1.1",
    "/api/v1/projects/{project}/compare": "?head=1.1&base=1.0",
}
API_DOCS = ["/api/v1/openapi.json", "/api/v1/docs"]


def api_urls() -> list[str]:
    """Every API operation (from its own schema), then the schema and docs."""
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    urls = []
    for path in schema["paths"]:
        url = path
        for placeholder, value in API_PATH_VALUES.items():
            url = url.replace(placeholder, value)
        assert "{" not in url, f"no sample value for a parameter of {path}"
        urls.append(url + API_QUERIES.get(path, ""))
    return urls + API_DOCS


def route_names() -> set[str]:
    """The names of the site's routes, but the admin's and the API's."""
    names = set()

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace not in {"admin", "api"}:
                    walk(pattern.url_patterns, pattern.namespace)
            elif isinstance(pattern, URLPattern) and namespace is None:
                names.add(pattern.name)

    walk(get_resolver().url_patterns)
    return names


def with_param(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={value}"
