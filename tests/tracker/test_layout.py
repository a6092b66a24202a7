"""The rooms of `tracker/` keep their boundaries: checked in a fresh interpreter."""

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
