"""Seed Django as the default tracked project.

The component map is copied from analyzers/data/django.toml as it is
when the migration runs, and the repository URL from ASYNCDASH_UPSTREAM_URL
(a mirror of github.com/django/django, say); the row is the source of truth
afterwards.
"""

from pathlib import Path

from django.conf import settings
from django.db import migrations

COMPONENT_MAP = (
    Path(__file__).resolve().parents[2] / "analyzers" / "data" / "django.toml"
)


def seed(apps, schema_editor):
    Project = apps.get_model("tracker", "Project")
    Project.objects.get_or_create(
        slug="django",
        defaults=dict(
            name="Django",
            git_url=settings.ASYNCDASH_UPSTREAM_URL,
            pypi_package="django",
            package_dir="django",
            tests_dir="tests",
            component_map=COMPONENT_MAP.read_text(encoding="utf-8"),
            release_tag_pattern=r"[0-9]+\.[0-9]+(\.[0-9]+)?",
            min_version="3.0",
            main_branch="main",
        ),
    )


def unseed(apps, schema_editor):
    apps.get_model("tracker", "Project").objects.filter(slug="django").delete()


class Migration(migrations.Migration):
    dependencies = [("tracker", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
