"""The image installs the application's dependencies and nothing else;
`make` installs those and the development tools (requirements-dev.txt).

Each file is closed: every dependency of a pin, as the installed packages'
metadata declares it, is pinned in the same file or the one it includes, so
pip resolves nothing on its own when the image is built.
"""

import re
import shlex
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_TOOLS = {"pytest", "pytest-django", "playwright", "schemathesis", "ruff"}


def pins(name: str) -> dict[str, Requirement]:
    """The file's pins by normalised name, with those of the files it includes."""
    found = {}
    for line in (REPO_ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found.update(pins(line.removeprefix("-r ").strip()))
        elif line:
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def pip_installs() -> list[list[str]]:
    """The arguments of every `pip install` the Dockerfile runs."""
    dockerfile = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    commands = []
    for line in dockerfile.splitlines():
        if line.startswith("RUN "):
            for command in re.split(r"&&|;", line.removeprefix("RUN ")):
                words = shlex.split(command)
                if words[:2] == ["pip", "install"] or words[1:4] == [
                    "-m",
                    "pip",
                    "install",
                ]:
                    commands.append(words[words.index("install") + 1 :])
    return commands


def test_the_image_installs_requirements_txt_only():
    assert pip_installs() == [["-r", "requirements.txt"]]


def test_requirements_txt_holds_no_development_tool():
    runtime = pins("requirements.txt")
    assert not DEV_TOOLS & set(runtime)
    lines = (REPO_ROOT / "requirements.txt").read_text().splitlines()
    assert not [line for line in lines if line.startswith("-")]  # no includes
    assert set(pins("requirements-dev.txt")) >= DEV_TOOLS


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_each_file_pins_all_it_needs(name):
    pinned = pins(name)
    for requirement in pinned.values():
        (version,) = [spec.version for spec in requirement.specifier]
        assert metadata.version(requirement.name) == version, "make venv again"
    missing = set()
    for key, requirement in pinned.items():
        extras = requirement.extras or {""}
        for declared in metadata.requires(requirement.name) or []:
            dependency = Requirement(declared)
            needed = dependency.marker is None or any(
                dependency.marker.evaluate({"extra": extra}) for extra in extras
            )
            if needed and canonicalize_name(dependency.name) not in pinned:
                missing.add(f"{dependency.name} (for {key})")
    assert not missing
