"""The analyzer is a pure core: it imports nothing from Django, Celery or git."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analyzers.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_analyzers_import_without_django_settings():
    """Importing and running the analyzer loads no Django, Celery or tracker."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    script = textwrap.dedent(
        """
        import sys
        import analyzers, analyzers.cli, analyzers.bench
        source = b"async def a():\\n    pass\\n"
        r = analyzers.analyze_file(source, module="m", path="m.py")
        assert r.functions[0].is_async
        banned = ("django", "celery", "git", "tracker")
        loaded = [m for m in sys.modules if m.split(".")[0] in banned]
        print(loaded)
        sys.exit(1 if loaded else 0)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, code in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code))
    return root


CACHE = """
    from asgiref.sync import sync_to_async

    class BaseCache:
        def get(self, key):
            return key

        async def aget(self, key):
            return await sync_to_async(self.get)(key)
"""


def test_cli_prints_the_component_table(tmp_path, capsys):
    tree = write_tree(tmp_path, {"django/core/cache/base.py": CACHE, "django/x.py": ""})
    assert main([str(tree)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["component", "stage"]
    assert any(
        line.split()[:2] == ["cache", "async-wrapper"] for line in out.splitlines()
    )


def test_cli_lists_one_component(tmp_path, capsys):
    tree = write_tree(tmp_path, {"django/core/cache/base.py": CACHE})
    assert main([str(tree), "--component", "cache"]) == 0
    out = capsys.readouterr().out
    assert "django.core.cache.base.BaseCache.aget:8  async-wrapper" in out
    assert "via BaseCache.aget -> sync_to_async(get)" in out


def test_cli_json_round_trips(tmp_path, capsys):
    tree = write_tree(tmp_path, {"django/core/cache/base.py": CACHE})
    assert main([str(tree), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (cache,) = [c for c in data["components"] if c["name"] == "cache"]
    assert cache["stage"] == "async-wrapper"
    kinds = {f["qualname"]: f["kind"] for f in data["functions"]}
    assert kinds == {"BaseCache.get": "sync", "BaseCache.aget": "async-wrapper"}


def test_cli_rejects_an_unknown_component(tmp_path, capsys):
    tree = write_tree(tmp_path, {"django/core/cache/base.py": CACHE})
    with pytest.raises(SystemExit) as exc:
        main([str(tree), "--component", "nope"])
    assert exc.value.code == 2
    assert "no component 'nope'" in capsys.readouterr().err
