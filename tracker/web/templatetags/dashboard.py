"""Small presentation helpers for the dashboard's templates."""

from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()

STAGE_ORDER = {"sync-only": 0, "async-wrapper": 1, "async-native": 2}


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
def stage_class(stage: str) -> str:
    return f"stage-{stage}" if stage in STAGE_ORDER else "stage-none"


@register.simple_tag
def function_url(version: str, module: str, qualname: str) -> str:
    return reverse("function", args=[version, f"{module}.{qualname}"])


@register.simple_tag
def pair_url(version: str, module: str, async_qualname: str) -> str:
    return reverse("pair", args=[version, f"{module}.{async_qualname}"])


@register.filter
def percent(value: float) -> str:
    return f"{value * 100:.0f} %"
