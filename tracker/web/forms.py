"""Query parameters of the pages, validated: a bad one is a 400 with a message."""

from __future__ import annotations

from django import forms

from analyzers.records import Kind, Reach, Relation
from tracker import versions
from tracker.models import PairDrift
from tracker.selectors import (
    FUNCTION_ORDERINGS,
    PAIR_ORDERINGS,
    FunctionFilters,
    OneSidedFilters,
)

YES_NO = [("", "any"), ("yes", "yes"), ("no", "no")]
# Lists are shown a page at a time.
PAGE_SIZE = 500


def _choices(values) -> list[tuple[str, str]]:
    return [("", "any"), *((v.value, v.value) for v in values)]


def _flag(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _yes_no(label: str | None = None) -> forms.ChoiceField:
    return forms.ChoiceField(choices=YES_NO, required=False, label=label)


class FunctionFilterForm(forms.Form):
    """The filters of FunctionFilters, as query parameters."""

    component = forms.CharField(required=False, max_length=100)
    kind = forms.ChoiceField(choices=_choices(Kind), required=False)
    reaches = forms.ChoiceField(choices=_choices(Reach), required=False)
    public = _yes_no()
    is_async = _yes_no("async")
    closure = _yes_no()
    concurrent = _yes_no()
    twinned = _yes_no("has a twin")
    missing_twin = _yes_no("missing twin")
    hops = _yes_no("thread hops")
    blocking = _yes_no()
    name = forms.CharField(required=False, max_length=200)
    sort = forms.ChoiceField(
        choices=[(k, k) for k in FUNCTION_ORDERINGS], required=False
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def filters(self, *, component: str | None = None) -> FunctionFilters:
        data = self.cleaned_data
        return FunctionFilters(
            component=component or data["component"] or None,
            kind=data["kind"] or None,
            reaches=data["reaches"] or None,
            public=_flag(data["public"]),
            is_async=_flag(data["is_async"]),
            closure=_flag(data["closure"]),
            concurrent=_flag(data["concurrent"]),
            twinned=_flag(data["twinned"]),
            missing_twin=_flag(data["missing_twin"]),
            hops=_flag(data["hops"]),
            blocking=_flag(data["blocking"]),
            name=data["name"] or None,
        )


class FunctionIdentityForm(forms.Form):
    """Which definition of a name a function page shows (several can share
    one: a sync and an async def, or one in each branch of an `if`)."""

    is_async = forms.ChoiceField(choices=YES_NO, required=False)
    variant = forms.IntegerField(required=False, min_value=0, max_value=1000)

    def identity(self) -> dict:
        return {
            "is_async": _flag(self.cleaned_data["is_async"]),
            "variant": self.cleaned_data["variant"],
        }


class PairListForm(forms.Form):
    relation = forms.ChoiceField(choices=_choices(Relation), required=False)
    component = forms.CharField(required=False, max_length=100)
    sort = forms.ChoiceField(choices=[(k, k) for k in PAIR_ORDERINGS], required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)


class OneSidedForm(forms.Form):
    release = forms.CharField(required=False, max_length=40)
    since = forms.CharField(required=False, max_length=40)
    until = forms.CharField(required=False, max_length=40)
    component = forms.CharField(required=False, max_length=100)
    change_class = forms.ChoiceField(
        choices=[("", "any"), *PairDrift.ChangeClass.choices],
        required=False,
        label="class",
    )

    def _version(self, name: str) -> str:
        value = self.cleaned_data[name]
        if value:
            try:
                versions.sort_key(value)
            except versions.VersionError as exc:
                raise forms.ValidationError(str(exc)) from None
        return value

    def clean_since(self) -> str:
        return self._version("since")

    def clean_until(self) -> str:
        return self._version("until")

    def filters(self) -> OneSidedFilters:
        return OneSidedFilters(**{k: v or None for k, v in self.cleaned_data.items()})


class MatrixForm(forms.Form):
    points = forms.BooleanField(required=False, label="point releases")
    snapshots = forms.BooleanField(required=False, label="weekly main snapshots")
    component = forms.CharField(required=False, max_length=100)
    release = forms.CharField(required=False, max_length=40)


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Function name")


class ScanStartForm(forms.Form):
    version = forms.CharField(max_length=40)


def errors_text(form: forms.Form) -> str:
    """One line naming each bad parameter and what is wrong with it."""
    return "; ".join(
        f"{field}: {' '.join(messages)}" for field, messages in form.errors.items()
    )
