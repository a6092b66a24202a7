"""The settings of the projects the real-data tests analyse."""

from pathlib import Path

from analyzers import ProjectConfig, load_project_config

PROJECTS = Path(__file__).resolve().parents[2] / "analyzers" / "data" / "projects"


def project_config(package: str) -> ProjectConfig:
    """The project's settings as shipped in analyzers/data/projects/."""
    text = (PROJECTS / f"{package}.toml").read_text(encoding="utf-8")
    return load_project_config(text, package=package)
