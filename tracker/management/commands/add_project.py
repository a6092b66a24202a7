"""Add a project to track, from its PyPI sdists or its git repository.

manage.py add_project httpcore --pypi httpcore --since 1.0
manage.py import_releases --project httpcore 1.0.8 1.0.9
manage.py scan --project httpcore --all
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.models import Project
from tracker.projects import project_create

MAX_SETTINGS_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = "Add a project to track (its slug is NAME lower-cased)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="e.g. httpcore")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--pypi", metavar="PACKAGE", help="import its sdists")
        source.add_argument(
            "--git", metavar="URL", help="clone it: an https:// URL or a local path"
        )
        parser.add_argument(
            "--package-dir",
            metavar="DIR",
            default="",
            help="the package's folder in a release (default: the PyPI name)",
        )
        parser.add_argument(
            "--tests-dir", metavar="DIR", default="tests", help="default: tests"
        )
        parser.add_argument(
            "--since", metavar="VERSION", default="0", help="the oldest release"
        )
        parser.add_argument(
            "--config",
            metavar="FILE",
            type=Path,
            help="the project's settings (TOML); default: the analyzer's",
        )
        parser.add_argument(
            "--exists-ok",
            action="store_true",
            help="a project of that name already tracked is no error (left as is)",
        )

    def handle(self, *args, **options):
        existing = Project.objects.filter(slug=options["name"].lower()).first()
        if existing is not None and options["exists_ok"]:
            self.stdout.write(f"{existing.slug} is tracked already; left as it is")
            return
        settings_text = ""
        if options["config"] is not None:
            settings_text = _read_settings(options["config"])
        try:
            project = project_create(
                name=options["name"],
                pypi_package=options["pypi"] or "",
                git_url=options["git"] or "",
                package_dir=options["package_dir"],
                tests_dir=options["tests_dir"],
                since=options["since"],
                settings_text=settings_text,
            )
        except ValidationError as exc:
            raise CommandError(_one_line(exc)) from None
        source = f"PyPI {project.pypi_package}" if project.pypi_package else "git"
        self.stdout.write(
            f"added {project.slug} ({source}, package {project.package_dir},"
            f" releases from {project.min_version}); next: manage.py"
            f" import_releases --project {project.slug} VERSION ..."
        )


def _read_settings(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_SETTINGS_BYTES:
            raise CommandError(f"--config: {path} is over 1 MiB")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"--config: {exc}") from None


def _one_line(exc: ValidationError) -> str:
    """The first problem, naming its field as the command's option."""
    options = {
        "pypi_package": "--pypi",
        "git_url": "--git",
        "package_dir": "--package-dir",
        "tests_dir": "--tests-dir",
        "min_version": "--since",
        "component_map": "--config",
        "slug": "NAME",
    }
    field, messages = next(iter(exc.message_dict.items()))
    return f"{options.get(field, field)}: {messages[0]}"
