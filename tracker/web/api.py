"""The JSON API for contributors, `/api/v1/`, on django-ninja.

Its OpenAPI schema is generated from these signatures (`/api/v1/openapi.json`,
interactive docs at `/api/v1/docs`). Every parameter is validated: a bad
value or an unknown parameter is a 400 with a message, orderings come from
allow-lists, and page sizes are capped. Reads go through `tracker.selectors`.
"""

from __future__ import annotations

from datetime import datetime
from functools import wraps
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import HttpError, ValidationError
from ninja.pagination import PageNumberPagination, paginate

from analyzers.types import ChainStep, ComponentSummary, Kind, Reach, Relation
from tracker import selectors
from tracker.models import FunctionStat, PairDrift, Project, Release, TwinPairStat
from tracker.web.edge import schema_with_edge_rules

MAX_PAGE_SIZE = 500


class Api(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        return schema_with_edge_rules(super().get_openapi_schema(**kwargs))


api = Api(
    title="asyncdash API",
    version="1",
    urls_namespace="api",
    description=(
        "How async each Django release is: components, functions, twin pairs "
        "and one-sided changes, as measured by asyncdash's analyzer. Release "
        "data never changes once scanned: answers carry ETags."
    ),
)


class Error(Schema):
    detail: str


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
    """Page numbers; a page size above MAX_PAGE_SIZE is cut to it."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int = Field(100, ge=1, description=f"at most {MAX_PAGE_SIZE}")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=100, max_page_size=MAX_PAGE_SIZE, **kwargs)


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


# Schemas -------------------------------------------------------------------------
class ReleaseOut(Schema):
    version: str
    tag: str
    commit: str
    date: datetime | None
    is_feature: bool
    is_snapshot: bool
    previous: str | None = Field(None, description="the release drift compares with")
    analyzer_version: str
    files: int
    parse_errors: int
    scanned_at: datetime

    @staticmethod
    def resolve_previous(release: Release) -> str | None:
        return release.previous.version if release.previous else None


class ReleaseDetailOut(ReleaseOut):
    components: list[ComponentSummary]


class FunctionOut(Schema):
    release: str
    module: str
    qualname: str
    component: str
    kind: Kind
    is_async: bool
    public: bool
    reaches: Reach | None
    twin: str
    first_line: int
    last_line: int
    loc: int
    thread_hops: int
    concurrent: bool
    missing_twin: bool
    blocking: list[str]
    hops: list[str]
    hops_by_name: list[str]
    chain: list[str]
    steps: list[ChainStep] = Field(description="steps[i] leads to chain[i + 1]")
    call_steps: dict[str, int]

    @staticmethod
    def resolve_release(row: FunctionStat) -> str:
        return row.release.version

    @staticmethod
    def resolve_reaches(row: FunctionStat) -> str | None:
        return row.reaches or None


class PairOut(Schema):
    release: str
    module: str
    sync_qualname: str
    async_qualname: str
    component: str
    convention: str
    relation: Relation
    similarity: float
    duplicated_lines: int

    @staticmethod
    def resolve_release(row: TwinPairStat) -> str:
        return row.release.version


class DriftOut(Schema):
    release: str
    previous: str
    module: str
    sync_qualname: str
    async_qualname: str
    component: str
    sync_changed: bool
    async_changed: bool
    previous_relation: Relation
    relation: Relation
    one_sided: bool

    @staticmethod
    def resolve_release(row: PairDrift) -> str:
        return row.release.version

    @staticmethod
    def resolve_previous(row: PairDrift) -> str:
        return row.previous.version


class ComponentPointOut(Schema):
    release: str
    summary: ComponentSummary
    tests: int
    async_tests: int
    doubled_tests: int


class KindChangeOut(Schema):
    function: FunctionOut
    kind_before: Kind
    reaches_before: Reach | None


class CompareOut(Schema):
    base: str
    head: str
    new_async_apis: list[FunctionOut]
    removed_async_apis: list[str]
    changed: list[KindChangeOut]
    new_pairs: list[PairOut]
    removed_pairs: list[str]
    one_sided: list[DriftOut]


# Helpers -----------------------------------------------------------------------------
def _project() -> Project:
    project = selectors.project_current()
    if project is None:
        raise HttpError(404, "no project is tracked")
    return project


def _release(project: Project, version: str) -> Release:
    release = selectors.release_get(project=project, version=version)
    if release is None:
        raise HttpError(404, f"release {version!r} has not been scanned")
    return release


def _release_or_newest(version: str | None) -> Release | None:
    """The release asked for (404 if not scanned), else the newest one."""
    project = _project()
    if version:
        return _release(project, version)
    return selectors.release_get(project=project)


# Endpoints ---------------------------------------------------------------------------
@api.get("/releases", response={200: list[ReleaseOut], **ERRORS}, tags=["releases"])
@only("points", "snapshots")
def releases(request: HttpRequest, points: bool = True, snapshots: bool = False):
    """Scanned releases, oldest first (point releases unless `points=false`)."""
    return list(
        selectors.release_list(
            project=_project(), points=points, snapshots=snapshots
        ).select_related("previous")
    )


@api.get(
    "/releases/{version}", response={200: ReleaseDetailOut, **ERRORS}, tags=["releases"]
)
@only()
def release(request: HttpRequest, version: str):
    """One release with the summary of each component."""
    found = _release(_project(), version)
    found.components = selectors.release_components(release=found)
    return found


@api.get(
    "/components/{name}",
    response={200: list[ComponentPointOut], **ERRORS},
    tags=["components"],
)
@only()
def component_history(request: HttpRequest, name: str):
    """One component across releases, oldest first."""
    points = selectors.component_history(project=_project(), name=name)
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
    component: str | None = None
    kind: Kind | None = None
    reaches: Reach | None = None
    public: bool | None = None
    is_async: bool | None = None
    missing_twin: bool | None = None
    blocking: bool | None = None
    name: str | None = Field(None, max_length=200, description="part of the name")
    ordering: FunctionOrdering = "name"  # type: ignore[valid-type]


@api.get("/functions", response={200: list[FunctionOut], **ERRORS}, tags=["functions"])
@only(*FunctionQuery.model_fields, "page", "page_size")
@paginate(Pages)
def functions(request: HttpRequest, query: Query[FunctionQuery]):
    """Functions of one release (the newest by default), filtered and paginated."""
    release = _release_or_newest(query.release)
    if release is None:
        return FunctionStat.objects.none()
    filters = selectors.FunctionFilters(
        **query.model_dump(exclude={"release", "ordering"})
    )
    return selectors.function_list(
        release=release, filters=filters, ordering=query.ordering
    ).select_related("release")


@api.get(
    "/functions/{full_name}/history",
    response={200: list[FunctionOut], **ERRORS},
    tags=["functions"],
)
@only()
def function_history(request: HttpRequest, full_name: str):
    """One function (module.qualname) in every release it is in, oldest first."""
    project = _project()
    newest = selectors.function_newest(project=project, full_name=full_name)
    if newest is None:
        raise HttpError(404, f"no function {full_name!r}")
    return selectors.function_history(
        project=project, module=newest.module, qualname=newest.qualname
    )


PairOrdering = Literal[tuple(selectors.PAIR_ORDERINGS)]  # type: ignore[valid-type]


class PairQuery(Schema):
    release: str | None = Field(None, description="a version; default the newest")
    relation: Relation | None = None
    component: str | None = None
    ordering: PairOrdering = "name"  # type: ignore[valid-type]


@api.get("/pairs", response={200: list[PairOut], **ERRORS}, tags=["twin pairs"])
@only(*PairQuery.model_fields, "page", "page_size")
@paginate(Pages)
def pairs(request: HttpRequest, query: Query[PairQuery]):
    """Sync/async twin pairs of one release, filtered and paginated."""
    release = _release_or_newest(query.release)
    if release is None:
        return TwinPairStat.objects.none()
    return selectors.pair_list(
        release=release,
        relation=query.relation,
        component=query.component,
        ordering=query.ordering,
    ).select_related("release")


@api.get("/one-sided-changes", response={200: list[DriftOut], **ERRORS}, tags=["drift"])
@only("component", "page", "page_size")
@paginate(Pages)
def one_sided_changes(request: HttpRequest, component: str | None = None):
    """One-sided changes of twin pairs, newest release first."""
    return selectors.drift_list(project=_project(), component=component)


@api.get("/compare", response={200: CompareOut, **ERRORS}, tags=["releases"])
@only("base", "head")
def compare(
    request: HttpRequest,
    head: str,
    base: str | None = Query(None, description="default: head's previous release"),
):
    """What changed from `base` to `head`: the release page's changelog."""
    project = _project()
    new = _release(project, head)
    if base is None:
        if new.previous is None:
            raise HttpError(400, f"{head} has no previous release; give base")
        old = new.previous
    else:
        old = _release(project, base)
    changes = selectors.release_changes(base=old, head=new)
    return {
        "base": old.version,
        "head": new.version,
        "new_async_apis": changes.new_async_apis,
        "removed_async_apis": [f"{m}.{q}" for m, q in changes.removed_async_apis],
        "changed": [
            {"function": f, "kind_before": kind, "reaches_before": reaches or None}
            for f, kind, reaches in changes.changed
        ],
        "new_pairs": changes.new_pairs,
        "removed_pairs": [f"{m}.{a}" for m, _, a in changes.removed_pairs],
        "one_sided": changes.one_sided,
    }
