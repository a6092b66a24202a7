"""Rebuild the boundary dataclasses from the plain data `to_jsonable` gives.

The scan pipeline stores each file's result as JSON and rebuilds it for the
tree pass, so the round trip must be exact (tests/test_serialize.py).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from typing import Any, TypeVar

from analyzers import records as boundary
from analyzers.records import to_jsonable

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)


def from_jsonable(cls: type[T], data: Any) -> T:
    return _convert(cls, data)


def file_result_to_json(result: boundary.FileResult) -> dict:
    """Compact plain data: defaults left out, and the module and path that
    every function, class and pair of the file repeats kept once."""
    data = to_jsonable(result, compact=True)
    for key in ("functions", "classes", "pairs"):
        for item in data.get(key, ()):
            item.pop("module", None)
            item.pop("path", None)
    return data


def file_result_from_json(data: dict) -> boundary.FileResult:
    """A FileResult, built field by field: the scan pipeline rebuilds
    thousands per release, and the generic walk is five times slower."""
    data = dict(data)
    shared = {"module": data["module"], "path": data["path"]}
    for key in ("functions", "classes", "pairs"):
        if key in data:
            build = _BUILDERS[key]
            fields = _FIELDS[key]
            data[key] = tuple(
                build({**{k: v for k, v in shared.items() if k in fields}, **item})
                for item in data[key]
            )
    for key in ("imports", "instances"):
        if key in data:
            data[key] = tuple(tuple(pair) for pair in data[key])
    if "thread_products" in data:
        data["thread_products"] = tuple(data["thread_products"])
    if data.get("parse_error"):
        data["parse_error"] = boundary.ParseError(**data["parse_error"])
    return boundary.FileResult(**data)


def _member(cls: type[E], value: str) -> E:
    """`cls(value)`, for a value the analyzer stored: a dictionary lookup
    (calling an enum is its slow path, and a release rebuilds 20,000)."""
    return _members(cls)[value]


@functools.cache
def _members(cls: type[E]) -> dict[str, E]:
    return {member.value: member for member in cls}


def _function(data: dict) -> boundary.FunctionRecord:
    data = dict(data)
    data["kind"] = _member(boundary.Kind, data["kind"])
    if data.get("reaches"):
        data["reaches"] = _member(boundary.Reach, data["reaches"])
    for key in (
        "hop_labels",
        "hops",
        "chain",
        "hops_by_name",
        "unknown_calls",
        "passes_through",
    ):
        if key in data:
            data[key] = tuple(data[key])
    if "returns" in data:
        data["returns"] = tuple(tuple(receiver) for receiver in data["returns"])
    if "await_sites" in data:
        data["await_sites"] = tuple(
            boundary.AwaitSite(
                kind=_member(boundary.SiteKind, site["kind"]),
                name=site["name"],
                targets=tuple(site.get("targets", ())),
                receiver=tuple(site.get("receiver", ())),
                conditional=site.get("conditional", False),
                runs=tuple(site.get("runs", ())),
            )
            for site in data["await_sites"]
        )
    if "steps" in data:
        data["steps"] = tuple(_chain_step(step) for step in data["steps"])
    if "blocking" in data:
        data["blocking"] = tuple(boundary.BlockingCall(**b) for b in data["blocking"])
    return boundary.FunctionRecord(**data)


def _chain_step(data: dict) -> boundary.ChainStep:
    data = dict(data)
    data["resolution"] = _member(boundary.Resolution, data["resolution"])
    if "candidates" in data:
        data["candidates"] = tuple(data["candidates"])
    return boundary.ChainStep(**data)


def _class(data: dict) -> boundary.ClassRecord:
    data = dict(data)
    for key in ("bases", "callbacks"):
        if key in data:
            data[key] = tuple(data[key])
    if "attributes" in data:
        data["attributes"] = tuple(tuple(pair) for pair in data["attributes"])
    return boundary.ClassRecord(**data)


def _pair(data: dict) -> boundary.TwinPair:
    data = dict(data)
    data["convention"] = _member(boundary.Convention, data["convention"])
    data["relation"] = _member(boundary.Relation, data["relation"])
    for key in ("sync_only_lines", "async_only_lines", "renames"):
        if key in data:
            data[key] = tuple(data[key])
    return boundary.TwinPair(**data)


_FIELDS = {
    "functions": {"module", "path"},
    "classes": {"module", "path"},
    "pairs": {"module"},
}
_BUILDERS = {
    "functions": _function,
    "classes": _class,
    "pairs": _pair,
}


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(boundary))


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(options[0], value)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in value)
        return tuple(_convert(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict:
        key, item = typing.get_args(hint)
        return {_convert(key, k): _convert(item, v) for k, v in value.items()}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        return hint(
            **{
                f.name: _convert(hints[f.name], value[f.name])
                for f in dataclasses.fields(hint)
                if f.name in value
            }
        )
    return value
