"""Small presentation helpers for the dashboard's templates."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse

from tracker.models import FunctionStat
from tracker.selectors import Figure

register = template.Library()

STAGE_ORDER = {"sync-only": 0, "async-wrapper": 1, "async-native": 2, "unknown": 3}
# Symbols that say the stage without colour (the word is always there too).
STAGE_SYMBOLS = {
    "sync-only": "○",
    "async-wrapper": "◐",
    "async-native": "●",
    "unknown": "?",
}


@register.filter
def signed(value: int | None) -> str:
    """A change as "+3", "−2" or "±0"; "" when there is nothing to compare."""
    if value is None:
        return ""
    if value > 0:
        return f"+{value}"
    if value < 0:
        return f"\u2212{-value}"
    return "\u00b10"


@register.filter
def stage_symbol(stage: str) -> str:
    return STAGE_SYMBOLS.get(stage, "–")


@register.simple_tag
def function_url(project: str, version: str, module: str, qualname: str) -> str:
    return reverse("function", args=[project, version, f"{module}.{qualname}"])


def identity_query(f: FunctionStat) -> str:
    """The query that picks this definition of a name that has several (a
    closure in each branch of an `if`, sync and async); "" for the others."""
    if not (f.closure or f.variant):
        return ""
    return "?" + urlencode(
        {"is_async": "yes" if f.is_async else "no", "variant": f.variant}
    )


@register.simple_tag
def function_href(project: str, version: str, f: FunctionStat) -> str:
    """The page of exactly this function (identity: module, qualname,
    is_async, variant)."""
    return function_url(project, version, f.module, f.qualname) + identity_query(f)


@register.simple_tag
def pair_url(project: str, version: str, module: str, async_qualname: str) -> str:
    return reverse("pair", args=[project, version, f"{module}.{async_qualname}"])


@register.simple_tag
def figure_url(project: str, figure: Figure, version: str) -> str:
    """The list a headline figure counts, filtered: its length is the figure."""
    if figure.kind == "functions":
        base = reverse("release-functions", args=[project, version])
    elif figure.kind == "pairs":
        base = reverse("release-pairs", args=[project, version])
    elif figure.kind == "tests":
        base = reverse("release-tests", args=[project, version])
    else:
        query = urlencode({"release": version})
        return reverse("one-sided-changes", args=[project]) + "?" + query
    return base + ("?" + urlencode(figure.query) if figure.query else "")


@register.filter
def percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def _ms(value: float) -> str:
    return f"{value:.3g}"


@register.simple_tag
def hop_cost(fewest: int, most: int) -> str:
    """Thread hops and what they cost, labelled as the estimate it is:
    "1–3 hops ≈ 1–3 ms (estimate)"."""
    cost = settings.ASYNCDASH_HOP_COST_MS
    if not most:
        return "no thread hop"
    hops = f"{fewest}–{most}" if fewest != most else str(most)
    span = (
        f"{_ms(fewest * cost)}–{_ms(most * cost)}"
        if fewest != most
        else _ms(most * cost)
    )
    noun = "hop" if hops == "1" else "hops"
    return f"{hops} {noun} ≈ {span} ms (estimate, {_ms(cost)} ms a hop)"


@register.filter
def get(mapping: dict, key: str):
    """mapping[key], for dicts keyed by values with dashes."""
    return mapping.get(key) if mapping else None
