"""The JSON API for contributors, `/api/v1/`, on django-ninja.

Its OpenAPI schema is generated from these signatures (`/api/v1/openapi.json`,
interactive docs at `/api/v1/docs`). Every parameter is validated: a bad
value or an unknown parameter is a 400 with a message, orderings come from
allow-lists, and page sizes are capped. Reads go through `tracker.selectors`.
"""

from __future__ import annotations

from functools import wraps
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from ninja import Field, NinjaAPI, Path, Query, Schema
from ninja.errors import HttpError, ValidationError
from ninja.pagination import PageNumberPagination, paginate

from analyzers.records import REACH_RULE, Kind, Reach, Relation
from tracker import selectors, versions
from tracker.models import FunctionStat, PairDrift, Project, Release, TwinPairStat
from tracker.web.api_schemas import (
    CompareOut,
    ComponentOut,
    ComponentPointOut,
    Error,
    FunctionOut,
    OneSidedChangeOut,
    PairDetailOut,
    PairHistoryOut,
    PairOut,
    ProjectOut,
    ReleaseDetailOut,
    ReleaseOut,
    SuiteOut,
    SummaryOut,
)
from tracker.web.edge import schema_with_edge_rules
from tracker.web.source import function_file, stored_pair
from tracker.web.templatetags.dashboard import figure_url

MAX_PAGE_SIZE = 500
# Every endpoint but the list of projects is about one project, in its path.
ProjectSlug = Annotated[
    str,
    Path(
        description="a tracked project's slug (`/api/v1/projects` lists them)",
        max_length=50,
        pattern=r"^[-a-zA-Z0-9_]+$",
    ),
]


class Api(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        return schema_with_edge_rules(super().get_openapi_schema(**kwargs))


api = Api(
    title="asyncdash API",
    version="1",
    urls_namespace="api",
    description=(
        "How async each release of each tracked project is (Django, httpcore, "
        "psycopg...): components, functions, twin pairs and one-sided changes, "
        "as measured by asyncdash's analyzer. Every endpoint but /projects "
        "names its project in the path; the paths without one (/api/v1/"
        "releases...) answer for Django. Release data never changes once "
        "scanned: answers carry ETags."
    ),
)


ERRORS = {400: Error, 404: Error, 429: Error}  # 429: see ApiMiddleware


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError):
    """A bad parameter is the client's error: 400, naming the parameter."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error.get('loc', ())[1:]) or 'request'}: "
        f"{error.get('msg', 'invalid')}"
        for error in exc.errors
    )
    return api.create_response(
        request, {"detail": f"bad parameter: {problems}"}, status=400
    )


class Pages(PageNumberPagination):
    """Page numbers, with links to the next and previous pages. A page size
    above MAX_PAGE_SIZE is a 400, like every other bad parameter."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000, description="from 1")
        page_size: int = Field(
            100, ge=1, le=MAX_PAGE_SIZE, description=f"at most {MAX_PAGE_SIZE}"
        )

    class Output(Schema):
        count: int = Field(description="items on all pages")
        next: str | None = Field(description="the next page's URL; null on the last")
        previous: str | None = Field(
            description="the previous page's URL; null on the first"
        )
        items: list[Any] = Field(description="this page's items")

        @classmethod
        def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
            # ninja subclasses this per endpoint, retyping `items`: keep its
            # description in the schema.
            super().__pydantic_init_subclass__(**kwargs)
            items = cls.model_fields.get("items")
            if items is not None and not items.description:
                items.description = "this page's items"
                cls.model_rebuild(force=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=100, max_page_size=MAX_PAGE_SIZE, **kwargs)

    def paginate_queryset(self, queryset, pagination: Input, request, **params):
        size = self._get_page_size(pagination.page_size)
        count = self._items_count(queryset)
        offset = (pagination.page - 1) * size

        def link(page: int) -> str:
            query = request.GET.copy()
            query["page"] = str(page)
            return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

        return {
            "count": count,
            "next": link(pagination.page + 1) if offset + size < count else None,
            "previous": (
                link(pagination.page - 1)
                if pagination.page > 1 and offset - size < count
                else None
            ),
            "items": queryset[offset : offset + size],
        }


def only(*allowed: str):
    """Refuse query parameters the endpoint does not know (400), so a typo or
    an injected `_connector` is not silently ignored."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            unknown = sorted(set(request.GET) - set(allowed))
            if unknown:
                raise HttpError(400, f"unknown parameter: {', '.join(unknown)}")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# Helpers -----------------------------------------------------------------------------
def _project(slug: str) -> Project:
    project = selectors.project_get(slug=slug)
    if project is None:
        raise HttpError(404, f"no project {slug[:60]!r}")
    return project


def _release(project: Project, version: str) -> Release:
    release = selectors.release_get(project=project, version=version)
    if release is None:
        raise HttpError(404, f"release {version!r} has not been scanned")
    return release


def _release_or_newest(slug: str, version: str | None) -> Release | None:
    """The release asked for (404 if not scanned), else the newest one."""
    project = _project(slug)
    if version:
        return _release(project, version)
    return selectors.release_get(project=project)


def _version_key(name: str, version: str | None) -> str | None:
    if version is None:
        return None
    try:
        return versions.sort_key(version)
    except versions.VersionError as exc:
        raise HttpError(400, f"bad parameter: {name}: {exc}") from None


# Endpoints ---------------------------------------------------------------------------
@api.get("/projects", response={200: list[ProjectOut], **ERRORS}, tags=["projects"])
@only()
def projects(request: HttpRequest):
    """Every tracked project with the headline figures of its newest release,
    as the home page shows them side by side."""
    return [
        {
            "slug": row.project.slug,
            "name": row.project.name,
            "pypi_package": row.project.pypi_package,
            # A local path says nothing to a client (and need not be told).
            "git_url": (
                row.project.git_url
                if row.project.git_url.startswith("https://")
                else ""
            ),
            "newest": row.newest.version if row.newest else None,
            "releases": row.releases,
            "public_async": row.public_async,
            "twin_pairs": row.twin_pairs,
            "duplicated_lines": row.duplicated_lines,
            "derivable_share": row.derivable_share,
            "one_sided": row.one_sided,
            "page": request.build_absolute_uri(
                reverse("overview", args=[row.project.slug])
            ),
        }
        for row in selectors.project_rows()
    ]


@api.get(
    "/projects/{project}/releases",
    response={200: list[ReleaseOut], **ERRORS},
    tags=["releases"],
)
@only("points", "snapshots")
def releases(
    request: HttpRequest,
    project: ProjectSlug,
    points: bool = True,
    snapshots: bool = False,
):
    """Scanned releases, oldest first (point releases unless `points=false`)."""
    return list(
        selectors.release_list(
            project=_project(project), points=points, snapshots=snapshots
        ).select_related("previous")
    )


@api.get(
    "/projects/{project}/releases/{version}",
    response={200: ReleaseDetailOut, **ERRORS},
    tags=["releases"],
)
@only()
def release(request: HttpRequest, project: ProjectSlug, version: str):
    """One release with the summary of each component and the files that did
    not parse."""
    found = _release(_project(project), version)
    found.components = selectors.release_components(release=found)
    found.parse_failures = [
        {"path": path, "error": error}
        for path, error in selectors.release_parse_failures(release=found)
    ]
    return found


@api.get(
    "/projects/{project}/releases/{version}/tests",
    response={200: list[SuiteOut], **ERRORS},
    tags=["releases"],
)
@only()
def release_tests(request: HttpRequest, project: ProjectSlug, version: str):
    """A release's tests by the component they test, each doubled test (an
    async test with a sync twin) listed with its twin."""
    found = _release(_project(project), version)
    return [
        {
            "component": suite.component,
            "tests": suite.tests,
            "async_tests": suite.async_tests,
            "doubled_tests": suite.async_tests_with_sync_twin,
            "doubled": [
                {"async_test": async_test, "sync_test": sync_test}
                for async_test, sync_test in suite.doubled
            ],
        }
        for suite in selectors.release_tests(release=found)
    ]


@api.get(
    "/projects/{project}/summary",
    response={200: SummaryOut, **ERRORS},
    tags=["releases"],
)
@only("release")
def summary(request: HttpRequest, project: ProjectSlug, release: str | None = None):
    """The overview's headline figures of a release (the newest by default),
    each with the page and the API query that list what it counts."""
    found = _release_or_newest(project, release)
    if found is None:
        raise HttpError(404, "no release has been scanned")
    headlines, previous, figures = selectors.headlines(release=found)
    return {
        "release": found.version,
        "compared_with": previous.version if previous else None,
        "figures": [
            {
                "key": h.key,
                "label": h.label,
                "value": h.value,
                "change": h.change,
                "list": request.build_absolute_uri(
                    figure_url(project, h.figure, found.version)
                ),
                "api": _figure_api(request, project, h.figure, found.version),
            }
            for h in headlines
        ],
        "hops_fewest": figures["hops_fewest"],
        "hops_most": figures["hops_most"],
        "hop_cost_ms": settings.ASYNCDASH_HOP_COST_MS,
        "twin_lines": figures["twin_lines"],
        "reach_rule": REACH_RULE,
        "concurrency_rule": selectors.CONCURRENCY_RULE,
    }


def _figure_api(request: HttpRequest, project: str, figure, version: str) -> str | None:
    """The API query listing what a figure counts (its `count` is the figure)."""
    paths = {
        "functions": "functions",
        "pairs": "pairs",
        "one-sided changes": "one-sided-changes",
    }
    if figure.kind == "tests":
        path = reverse("api:release_tests", args=[project, version])
        return request.build_absolute_uri(path)
    query = QueryDict(mutable=True)
    query.update({"release": version, **figure.query})
    path = reverse(f"api:{paths[figure.kind].replace('-', '_')}", args=[project])
    return request.build_absolute_uri(f"{path}?{query.urlencode()}")


@api.get(
    "/projects/{project}/components",
    response={200: list[ComponentOut], **ERRORS},
    tags=["components"],
)
@only()
def components(request: HttpRequest, project: ProjectSlug):
    """Every component, with its stage in its newest release."""
    return selectors.component_list(project=_project(project))


@api.get(
    "/projects/{project}/components/{name}",
    response={200: list[ComponentPointOut], **ERRORS},
    tags=["components"],
)
@only()
def component_history(request: HttpRequest, project: ProjectSlug, name: str):
    """One component across releases, oldest first."""
    points = selectors.component_history(project=_project(project), name=name)
    if not points:
        raise HttpError(404, f"no component {name!r}")
    return [
        {
            "release": p.release.version,
            "summary": p.summary,
            "tests": p.tests,
            "async_tests": p.async_tests,
            "doubled_tests": p.doubled_tests,
        }
        for p in points
    ]


FunctionOrdering = Literal[tuple(selectors.FUNCTION_ORDERINGS)]  # type: ignore[valid-type]


class FunctionQuery(Schema):
    release: str | None = Field(None, description="a version; default the newest")
    full_name: str | None = Field(
        None, max_length=500, description="exactly this module.qualname"
    )
    component: str | None = Field(None, description="exactly this component")
    kind: Kind | None = Field(None, description="what it does itself")
    reaches: Reach | None = Field(None, description="where its awaited work ends")
    public: bool | None = Field(None, description="public APIs (or not)")
    is_async: bool | None = Field(None, description="async defs (or not)")
    closure: bool | None = Field(None, description="defined inside a function")
    concurrent: bool | None = Field(None, description="runs awaitables concurrently")
    twinned: bool | None = Field(None, description="has a sync/async twin")
    missing_twin: bool | None = Field(None, description="a sync method without twin")
    hops: bool | None = Field(None, description="some path hops into a thread")
    blocking: bool | None = Field(None, description="blocking calls on the loop")
    name: str | None = Field(None, max_length=200, description="part of the name")
    ordering: FunctionOrdering = Field(  # type: ignore[valid-type]
        "name", description="a sort key; a leading - reverses it"
    )


@api.get(
    "/projects/{project}/functions",
    response={200: list[FunctionOut], **ERRORS},
    tags=["functions"],
    url_name="functions",
)
@only(*FunctionQuery.model_fields, "page", "page_size")
@paginate(Pages)
def functions(request: HttpRequest, project: ProjectSlug, query: Query[FunctionQuery]):
    """Functions of one release (the newest by default), filtered and paginated;
    `full_name` finds one name exactly, `name` any that holds the text."""
    release = _release_or_newest(project, query.release)
    if release is None:
        return FunctionStat.objects.none()
    filters = selectors.FunctionFilters(
        **query.model_dump(exclude={"release", "ordering", "full_name"})
    )
    rows = selectors.function_list(
        release=release, filters=filters, ordering=query.ordering
    )
    if query.full_name:
        rows = rows.filter(selectors.full_name_q(query.full_name))
    return rows.select_related("release")


@api.get(
    "/projects/{project}/functions/{full_name}/history",
    response={200: list[FunctionOut], **ERRORS},
    tags=["functions"],
)
@only("is_async", "variant")
def function_history(
    request: HttpRequest,
    project: ProjectSlug,
    full_name: str,
    is_async: bool | None = Query(
        None, description="the sync or the async def, when a name has both"
    ),
    variant: int | None = Query(
        None, ge=0, le=1000, description="which def of that name and asyncness"
    ),
):
    """One function (module.qualname) in every release it is in, oldest first.
    Its identity is (module, qualname, is_async, variant): without them, the
    async def of the newest release, variant 0."""
    tracked = _project(project)
    newest = selectors.function_newest(
        project=tracked, full_name=full_name, is_async=is_async, variant=variant
    )
    if newest is None:
        raise HttpError(404, f"no function {full_name!r}")
    return selectors.function_history(
        project=tracked,
        module=newest.module,
        qualname=newest.qualname,
        is_async=newest.is_async,
        variant=newest.variant,
    )


PairOrdering = Literal[tuple(selectors.PAIR_ORDERINGS)]  # type: ignore[valid-type]


class PairQuery(Schema):
    release: str | None = Field(None, description="a version; default the newest")
    relation: Relation | None = Field(None, description="how close the twins are")
    component: str | None = Field(None, description="exactly this component")
    ordering: PairOrdering = Field(  # type: ignore[valid-type]
        "name", description="a sort key; a leading - reverses it"
    )


@api.get(
    "/projects/{project}/pairs",
    response={200: list[PairOut], **ERRORS},
    tags=["twin pairs"],
    url_name="pairs",
)
@only(*PairQuery.model_fields, "page", "page_size")
@paginate(Pages)
def pairs(request: HttpRequest, project: ProjectSlug, query: Query[PairQuery]):
    """Sync/async twin pairs of one release, filtered and paginated."""
    release = _release_or_newest(project, query.release)
    if release is None:
        return TwinPairStat.objects.none()
    return selectors.pair_list(
        release=release,
        relation=query.relation,
        component=query.component,
        ordering=query.ordering,
    ).select_related("release")


def _pair(project: str, full_name: str, release: str | None) -> TwinPairStat:
    found = _release_or_newest(project, release)
    pair = found and selectors.pair_get(release=found, full_name=full_name)
    if pair is None:
        raise HttpError(404, f"no twin pair {full_name!r}")
    return pair


@api.get(
    "/projects/{project}/pairs/{full_name}",
    response={200: PairDetailOut, **ERRORS},
    tags=["twin pairs"],
)
@only("release")
def pair(
    request: HttpRequest,
    project: ProjectSlug,
    full_name: str,
    release: str | None = None,
):
    """One twin pair (module.async_qualname) in a release (the newest by
    default), with what differs once normalised: the pair page's lines."""
    found = _pair(project, full_name, release)
    side = selectors.function_get(
        release=found.release,
        full_name=f"{found.module}.{found.async_qualname}",
        is_async=True,
    )
    file = side and function_file(release=found.release, function=side)
    stored = stored_pair(pair=found, file=file or None)
    found.renames = list(stored.renames) if stored else []
    found.sync_only_lines = list(stored.sync_only_lines) if stored else []
    found.async_only_lines = list(stored.async_only_lines) if stored else []
    return found


@api.get(
    "/projects/{project}/pairs/{full_name}/history",
    response={200: list[PairHistoryOut], **ERRORS},
    tags=["twin pairs"],
)
@only()
def pair_history(request: HttpRequest, project: ProjectSlug, full_name: str):
    """One twin pair in every release it is in, oldest first, with how it
    changed in each (one-sided or not)."""
    found = _pair(project, full_name, None)
    return [{"pair": p, "change": d} for p, d in selectors.pair_history(pair=found)]


# A release version (6.1, 6.1.3, 6.1rc1) or a weekly snapshot's name.
# tracker.versions.parse's bounds: numbers of six digits, 40 characters.
VERSION = (
    r"^(v?\d{1,6}(\.\d{1,6}){0,3}((a|b|rc)\d{1,6})?(\.post\d{1,6})?"
    r"|main-\d{4}-\d{2}-\d{2})$"
)


class OneSidedQuery(Schema):
    release: str | None = Field(
        None, pattern=VERSION, description="changes of this release only"
    )
    since: str | None = Field(
        None, pattern=VERSION, description="releases from this version on"
    )
    until: str | None = Field(
        None, pattern=VERSION, description="releases up to this version"
    )
    component: str | None = Field(None, description="exactly this component")
    change_class: PairDrift.ChangeClass | None = Field(
        None, description="possible missed port, async-specific or this side only"
    )


@api.get(
    "/projects/{project}/one-sided-changes",
    response={200: list[OneSidedChangeOut], **ERRORS},
    tags=["one-sided changes"],
    url_name="one_sided_changes",
)
@only(*OneSidedQuery.model_fields, "page", "page_size")
@paginate(Pages)
def one_sided_changes(
    request: HttpRequest, project: ProjectSlug, query: Query[OneSidedQuery]
):
    """One-sided changes of twin pairs, newest release first; `since` and
    `until` bound the releases, both included (until before since: none)."""
    for name in ("release", "since", "until"):
        _version_key(name, getattr(query, name))
    return selectors.one_sided_list(
        project=_project(project),
        filters=selectors.OneSidedFilters(**query.model_dump()),
    )


@api.get(
    "/projects/{project}/compare",
    response={200: CompareOut, **ERRORS},
    tags=["releases"],
)
@only("base", "head")
def compare(
    request: HttpRequest,
    project: ProjectSlug,
    head: str = Query(..., description="the newer release"),
    base: str | None = Query(None, description="default: head's previous release"),
):
    """What changed from `base` to `head`: the release page's changelog, with
    the one-sided changes of every release in between."""
    tracked = _project(project)
    new = _release(tracked, head)
    if base is None:
        if new.previous is None:
            raise HttpError(400, f"bad parameter: base: {head} has no previous release")
        old = new.previous
    else:
        old = _release(tracked, base)
    if old.version_key >= new.version_key:
        raise HttpError(
            400, f"bad parameter: head: {head} is not after base {old.version}"
        )
    changes = selectors.release_changes(base=old, head=new)
    return {
        "base": old.version,
        "head": new.version,
        "new_async_apis": changes.new_async_apis,
        "removed_async_apis": [
            f"{f.module}.{f.qualname}" for f in changes.removed_async_apis
        ],
        "stage_changes": changes.stage_changes,
        "changed": [
            {
                "function": c.function,
                "kind_before": c.kind_before,
                "reaches_before": c.reaches_before or None,
            }
            for c in changes.changed
        ],
        "new_pairs": changes.new_pairs,
        "removed_pairs": [
            f"{p.module}.{p.async_qualname}" for p in changes.removed_pairs
        ],
        "one_sided": changes.one_sided,
    }
