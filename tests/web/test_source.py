"""The source view on hostile trees (tracker/web/source.py): source is found
by the function's file, lines are counted as Python counts them, bidi
controls are shown visibly, and a huge function or twin pair shows a
bounded part with the whole file one link away."""

import re

import pytest
from django.core.cache import cache, caches
from django.test import override_settings
from repo_builder import demo_project, make_repo, project_remove

from tracker.models import FunctionStat
from tracker.scanning import requests
from tracker.web.source import MAX_SOURCE_LINES

pytestmark = pytest.mark.django_db

RLO = "\u202e"
LONG = 3 * MAX_SOURCE_LINES


def twins(count: int) -> str:
    """`load`/`aload` of `count` lines each, every line alike (the worst case
    for aligning the two sides)."""
    body = "    x = compute(key)\n" * count
    return (
        f"def load(key):\n{body}    return x\n\n\n"
        f"async def aload(key):\n{body.replace('compute(', 'await acompute(')}"
        "    return x\n"
    )


TREE = {
    "pkg/__init__.py": "",
    # A package and a module of the same name: each function's own file.
    "pkg/shadow.py": 'def from_module():\n    return "module file"\n',
    "pkg/shadow/__init__.py": '\n\n\ndef from_package():\n    return "package file"\n',
    # A module Python cannot decode, beside the package it shadows.
    "pkg/broken/__init__.py": 'def intact():\n    return "intact"\n',
    # U+2028 ends a line for str.splitlines, not for Python.
    "pkg/decoy.py": (
        "# a comment\u2028def decoy(): return 'decoy'\ndef real():\n    return 'real'\n"
    ),
    f"pkg/{RLO}evil.py": f"def named():\n    return '{RLO}reversed'\n",
    "pkg/big.py": twins(LONG),
}
UNDECODABLE = {"pkg/broken.py": b"def f():\n    return '\xff\xfe'\n"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, django_db_setup, django_db_blocker):
    root = tmp_path_factory.mktemp("hostile-source")
    overrides = override_settings(DATA_DIR=root / "data", ASYNCDASH_PROJECT="hostile")
    overrides.enable()
    upstream = make_repo(root / "upstream", {"1.0": TREE})
    for path, data in UNDECODABLE.items():
        (upstream / path).write_bytes(data)
    _commit_and_retag(upstream)
    with django_db_blocker.unblock():
        project = demo_project(upstream, slug="hostile")
        target = requests.Target(version="1.0", ref="1.0")
        (scan,) = requests.scans_request(project=project, targets=[target])
        scan.refresh_from_db()
        assert scan.status == "done", scan.error
    cache.clear()
    caches["local"].clear()
    yield project
    with django_db_blocker.unblock():
        project_remove("hostile")
    overrides.disable()


def _commit_and_retag(repo):
    from repo_builder import git

    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "undecodable file")
    git(repo, "tag", "-f", "1.0")


def source_lines(html: str) -> list[str]:
    """The text of the source table's code cells."""
    cells = re.findall(r'<td class="code"><pre>(.*?)</pre></td>', html, re.S)
    return [re.sub(r"<[^>]+>", "", cell) for cell in cells]


def test_each_function_shows_its_own_file(hostile, client):
    module = client.get("/p/hostile/releases/1.0/functions/pkg.shadow.from_module/")
    package = client.get("/p/hostile/releases/1.0/functions/pkg.shadow.from_package/")
    assert module.status_code == package.status_code == 200
    assert "module file" in "".join(source_lines(module.content.decode()))
    assert "package file" in "".join(source_lines(package.content.decode()))
    assert "pkg/shadow/__init__.py" in package.content.decode()


def test_an_undecodable_file_beside_a_package_does_not_break_its_pages(hostile, client):
    response = client.get("/p/hostile/releases/1.0/functions/pkg.broken.intact/")
    assert response.status_code == 200
    assert "intact" in "".join(source_lines(response.content.decode()))


def test_an_undecodable_file_is_shown_as_unavailable(hostile, client):
    row = FunctionStat.objects.get(release__project=hostile, qualname="intact")
    row.path = "pkg/broken.py"  # as if its functions came from it
    row.save()
    response = client.get("/p/hostile/releases/1.0/functions/pkg.broken.intact/")
    assert response.status_code == 200
    assert "The source is not available" in response.content.decode()


def test_lines_are_counted_as_python_counts_them(hostile, client):
    response = client.get("/p/hostile/releases/1.0/functions/pkg.decoy.real/")
    lines = source_lines(response.content.decode())
    assert [line.strip() for line in lines] == ["def real():", "return 'real'"]
    assert "decoy" not in "".join(lines)


def test_bidi_controls_are_shown_visibly(hostile, client):
    response = client.get(f"/p/hostile/releases/1.0/functions/pkg.{RLO}evil.named/")
    assert response.status_code == 200
    html = response.content.decode()
    assert RLO not in html
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    assert "pkg.&lt;U+202E&gt;evil.named" in heading
    assert "&lt;U+202E&gt;reversed" in "".join(source_lines(html))


def test_a_long_function_shows_a_bounded_part_and_links_the_file(hostile, client):
    response = client.get("/p/hostile/releases/1.0/functions/pkg.big.aload/")
    html = response.content.decode()
    assert len(source_lines(html)) == MAX_SOURCE_LINES
    assert f"the first {MAX_SOURCE_LINES} of its {LONG + 2} lines" in html
    assert 'href="/p/hostile/releases/1.0/source/pkg/big.py"' in html


def test_a_long_twin_pair_shows_a_bounded_part(hostile, client):
    response = client.get("/p/hostile/releases/1.0/pairs/pkg.big.aload/")
    html = response.content.decode()
    rows = re.findall(r'<tr class="diff-', html)
    assert 0 < len(rows) <= 2 * MAX_SOURCE_LINES
    assert 'href="/p/hostile/releases/1.0/source/pkg/big.py"' in html


def test_the_whole_file_as_text(hostile, client):
    response = client.get("/p/hostile/releases/1.0/source/pkg/big.py")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == TREE["pkg/big.py"]
    rlo = client.get(
        f"/p/hostile/releases/1.0/source/pkg/{RLO}evil.py"
    ).content.decode()
    assert RLO not in rlo and "<U+202E>reversed" in rlo


@pytest.mark.parametrize(
    "path", ["pkg/missing.py", "pkg/../pkg/big.py", "pkg/broken.py"]
)
def test_a_file_that_is_not_there_or_not_text_is_a_404(hostile, client, path):
    assert client.get(f"/p/hostile/releases/1.0/source/{path}").status_code == 404
