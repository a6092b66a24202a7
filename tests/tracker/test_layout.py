"""The rooms of `tracker/` keep their boundaries: checked in a fresh interpreter."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def loaded_after(imports: str) -> set[str]:
    """Top-level packages loaded by `imports` in a clean interpreter."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    report = "print(' '.join({m.split('.')[0] for m in sys.modules}))"
    script = f"import sys\n{imports}\n{report}"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(done.stdout.split())


def test_importing_tracker_does_not_load_celery():
    assert "celery" not in loaded_after("import tracker, tracker.versions")


@pytest.mark.parametrize("module", ["git", "pypi", "sdist"])
def test_sources_load_no_django(module):
    loaded = loaded_after(f"import tracker.sources.{module}")
    assert "django" not in loaded
    assert "celery" not in loaded


def test_the_celery_app_lives_with_the_project_configuration():
    loaded = loaded_after(
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tracker.config.settings'\n"
        "import tracker.config"
    )
    assert "celery" in loaded


def scanning_imports() -> dict[str, set[str]]:
    """Each module of tracker.scanning and the modules of it that it imports,
    at the top or inside a function alike."""
    folder = REPO_ROOT / "tracker" / "scanning"
    graph = {}
    for path in folder.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "tracker.scanning":
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.removeprefix("tracker.scanning."))
            elif isinstance(node, ast.Import):
                imported |= {
                    a.name.removeprefix("tracker.scanning.") for a in node.names
                }
        graph[path.stem] = {
            name for name in imported if (folder / f"{name}.py").exists()
        }
    return graph


def test_the_scanning_modules_import_no_circle():
    """requests -> tasks -> weekly -> requests lived on imports in functions."""
    graph = scanning_imports()
    on_path: list[str] = []

    def visit(module: str) -> None:
        assert module not in on_path, " -> ".join([*on_path, module])
        on_path.append(module)
        for imported in sorted(graph[module]):
            visit(imported)
        on_path.pop()

    assert {"requests", "tasks", "weekly"} <= set(graph)
    for module in sorted(graph):
        visit(module)
