"""Source lines of a release, read from the git mirror by blob.

Used by the function and twin pair pages. Code from scanned releases is
untrusted: Pygments escapes it, and nothing else here builds markup. A
function's source is read from the file it was found in (a module `x.py`
and a package `x/__init__.py` both define module `x`), its lines counted as
Python counts them (U+2028 or a form feed ends no line), and at most
MAX_SOURCE_LINES of them are shown. Bidi controls are shown visibly by
tracker/web/edge.py, for every page.
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from analyzers.conventions import load_conventions
from analyzers.file_pass.names import decode_source
from analyzers.records import TwinPair
from analyzers.serialize import from_jsonable
from tracker.models import (
    FileAnalysis,
    FunctionStat,
    Release,
    ReleaseFile,
    TwinPairStat,
)
from tracker.scanning.mirrors import mirror_open
from tracker.sources.git import GitSourceError

# A function's page shows at most this many of its lines (the whole file is
# a link away): highlighting and aligning twins grow with them.
MAX_SOURCE_LINES = 400


def _hop_names() -> frozenset[str]:
    """The last name of every bridge the analyzer counts as a thread hop
    (conventions.toml): asgiref's `sync_to_async` for Django, and for the
    other projects `asyncio.to_thread`, anyio's and trio's `run_sync`,
    `run_in_threadpool`, `loop.run_in_executor`."""
    rules = load_conventions()
    dotted = (*rules.sync_to_async, *rules.thread_calls)
    return frozenset(name.rsplit(".", 1)[-1] for name in dotted) | frozenset(
        rules.thread_methods
    )


# Callables whose call is the thread hop itself.
HOP_NAMES = _hop_names()
# A line and its end, as Python's tokenizer ends lines: \n, \r\n or \r.
PYTHON_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass(frozen=True)
class SourceLine:
    number: int
    html: SafeString  # highlighted by Pygments, escaped
    text: str
    mark: str  # "hop", "await" or ""


def module_file(*, release: Release, module: str) -> ReleaseFile | None:
    """The file Python imports for `module`: the package before the module."""
    base = module.replace(".", "/")
    candidates = [f"{base}/__init__.py", f"{base}.py"]
    files = {
        f.path: f
        for f in ReleaseFile.objects.filter(release=release, path__in=candidates)
    }
    return next((files[path] for path in candidates if path in files), None)


def function_file(*, release: Release, function: FunctionStat) -> ReleaseFile | None:
    """The file the function was found in (for rows written before their
    path was kept: the module's file, as Python would import it)."""
    if not function.path:
        return module_file(release=release, module=function.module)
    return ReleaseFile.objects.filter(release=release, path=function.path).first()


def file_text(*, release: Release, file: ReleaseFile) -> str | None:
    """The file's text at that release, or None when the mirror cannot give
    it or it does not decode (as Python would decode it)."""
    try:
        with mirror_open(release.project) as mirror:
            data = dict(mirror.read_blobs([file.blob_sha])).get(file.blob_sha)
    except (GitSourceError, OSError):
        return None
    if data is None:
        return None
    try:
        return decode_source(data)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None  # a bad coding cookie, or bytes that are not its encoding


def python_lines(text: str) -> list[str]:
    """The lines of `text` with their ends, numbered as Python numbers them."""
    return PYTHON_LINE.findall(text)


def line_marks(lines: list[str]) -> dict[int, str]:
    """Index (0-based) -> "hop" or "await" for lines of a function's source."""
    marks: dict[int, str] = {}
    readline = io.StringIO("".join(lines)).readline
    try:
        for token in tokenize.generate_tokens(readline):
            if token.type != tokenize.NAME:
                continue
            row = token.start[0] - 1
            if token.string in HOP_NAMES:
                marks[row] = "hop"
            elif token.string == "await" or (token.string == "async" and row > 0):
                # `async` past the def line starts an `async for` or `async with`.
                marks.setdefault(row, "await")
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # a fragment that does not tokenize is shown unmarked
    return marks


def highlighted(lines: list[str], *, first: int) -> list[SourceLine]:
    """Lines numbered from `first`, highlighted, with hop and await lines marked."""
    formatter = HtmlFormatter(nowrap=True)
    # The formatter closes its spans at each line end, so lines split cleanly;
    # the lexer turns \r\n and \r into \n, and nothing else.
    html = highlight("".join(lines), PythonLexer(stripnl=False), formatter).split("\n")
    marks = line_marks(lines)
    return [
        SourceLine(
            number=first + i,
            html=mark_safe(html[i] if i < len(html) else ""),  # noqa: S308 (escaped by Pygments)
            text=text.rstrip("\r\n"),
            mark=marks.get(i, ""),
        )
        for i, text in enumerate(lines)
    ]


def function_lines(text: str, *, first: int, last: int) -> list[str]:
    """Lines `first` to `last`, at most MAX_SOURCE_LINES of them."""
    last = min(last, first + MAX_SOURCE_LINES - 1)
    return python_lines(text)[first - 1 : last]


def function_text(
    *, release: Release, function: FunctionStat
) -> tuple[ReleaseFile | None, str | None]:
    """The file the function is in at that release, and its text if readable."""
    file = function_file(release=release, function=function)
    if file is None:
        return None, None
    return file, file_text(release=release, file=file)


def function_source(text: str, function) -> list[SourceLine]:
    """A function's lines (a FunctionStat's range, the first MAX_SOURCE_LINES
    of it) from its file's text."""
    return highlighted(
        function_lines(text, first=function.first_line, last=function.last_line),
        first=function.first_line,
    )


def line_count(function: FunctionStat) -> int:
    return function.last_line - function.first_line + 1


@dataclass(frozen=True)
class ChangeLine:
    tag: str  # "+", "-", " " or "@" (a hunk header)
    text: str


def release_change(
    before: list[SourceLine], after: list[SourceLine]
) -> list[ChangeLine]:
    """A unified diff of one function between two releases, as rows."""
    rows = []
    for line in list(
        difflib.unified_diff(
            [x.text for x in before], [x.text for x in after], lineterm="", n=2
        )
    )[2:]:
        tag = line[:1] if line[:1] in "+- " else "@"
        rows.append(ChangeLine(tag=tag, text=line[1:] if tag != "@" else line))
    return rows


@dataclass(frozen=True)
class DiffRow:
    tag: str  # "equal", "replace", "delete" or "insert"
    left: SourceLine | None
    right: SourceLine | None


def side_by_side(left: list[SourceLine], right: list[SourceLine]) -> list[DiffRow]:
    """Align two functions line by line; compared without indentation."""
    matcher = difflib.SequenceMatcher(
        None,
        [line.text.strip() for line in left],
        [line.text.strip() for line in right],
        autojunk=False,
    )
    rows = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            rows.append(
                DiffRow(
                    tag=tag,
                    left=left[i1 + k] if i1 + k < i2 else None,
                    right=right[j1 + k] if j1 + k < j2 else None,
                )
            )
    return rows


def stored_pair(*, pair: TwinPairStat, file: ReleaseFile | None) -> TwinPair | None:
    """The analyzer's record of the pair: its normalised leftover lines.

    A pair in one module is in its file's cached result (`file`: the async
    side's); a pair across twin modules, the tree pass's, on its own row.
    """
    if pair.sync_module:
        if not pair.leftover:  # stored before rows kept it
            return None
        fields = ("module", "sync_qualname", "async_qualname", "convention")
        fields += ("relation", "similarity", "duplicated_lines", "sync_hash")
        fields += ("async_hash", "sync_module", "generated_side")
        return from_jsonable(
            TwinPair,
            {**{name: getattr(pair, name) for name in fields}, **pair.leftover},
        )
    if file is None:
        return None
    row = (
        FileAnalysis.objects.filter(blob_sha=file.blob_sha, path=file.path)
        .order_by("-pk")
        .first()
    )
    if row is None:
        return None
    # Only the pair is rebuilt, not the file's every function.
    for item in row.result.get("pairs", ()):
        if (item["sync_qualname"], item["async_qualname"]) == (
            pair.sync_qualname,
            pair.async_qualname,
        ):
            return from_jsonable(TwinPair, {"module": row.result["module"], **item})
    return None
