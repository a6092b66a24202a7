"""Query parameters of the pages, validated: a bad one is a 400 with a message."""

from __future__ import annotations

from django import forms

from analyzers.types import Kind, Reach, Relation
from tracker.selectors import FUNCTION_ORDERINGS, FunctionFilters

YES_NO = [("", "any"), ("yes", "yes"), ("no", "no")]


def _choices(values) -> list[tuple[str, str]]:
    return [("", "any"), *((v.value, v.value) for v in values)]


def _flag(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class FunctionFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=_choices(Kind), required=False)
    reaches = forms.ChoiceField(choices=_choices(Reach), required=False)
    public = forms.ChoiceField(choices=YES_NO, required=False)
    is_async = forms.ChoiceField(choices=YES_NO, required=False, label="async")
    missing_twin = forms.ChoiceField(choices=YES_NO, required=False)
    blocking = forms.ChoiceField(choices=YES_NO, required=False)
    name = forms.CharField(required=False, max_length=200)
    sort = forms.ChoiceField(
        choices=[(k, k) for k in FUNCTION_ORDERINGS], required=False
    )

    def filters(self, *, component: str) -> FunctionFilters:
        data = self.cleaned_data
        return FunctionFilters(
            component=component,
            kind=data["kind"] or None,
            reaches=data["reaches"] or None,
            public=_flag(data["public"]),
            is_async=_flag(data["is_async"]),
            missing_twin=_flag(data["missing_twin"]),
            blocking=_flag(data["blocking"]),
            name=data["name"] or None,
        )


class MatrixForm(forms.Form):
    points = forms.BooleanField(required=False, label="point releases")
    snapshots = forms.BooleanField(required=False, label="weekly main snapshots")
    component = forms.CharField(required=False, max_length=100)
    release = forms.CharField(required=False, max_length=40)


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Function name")


class PairFilterForm(forms.Form):
    relation = forms.ChoiceField(choices=_choices(Relation), required=False)


class ScanStartForm(forms.Form):
    version = forms.CharField(max_length=40)


def errors_text(form: forms.Form) -> str:
    """One line naming each bad parameter and what is wrong with it."""
    return "; ".join(
        f"{field}: {' '.join(messages)}" for field, messages in form.errors.items()
    )
