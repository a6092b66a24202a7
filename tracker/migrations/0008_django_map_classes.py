"""Bring the seeded Django project's component map up to date.

The map gained [classes] (MiddlewareMixin is middleware's) and the
test-support modules; a map still as an earlier release of this file seeded
it (no [classes] table) takes the file's current text.
"""

from pathlib import Path

from django.db import migrations

COMPONENT_MAP = (
    Path(__file__).resolve().parents[2] / "analyzers" / "data" / "django.toml"
)


def refresh(apps, schema_editor):
    Project = apps.get_model("tracker", "Project")
    for project in Project.objects.filter(slug="django"):
        if "[classes]" not in project.component_map:
            project.component_map = COMPONENT_MAP.read_text(encoding="utf-8")
            project.save(update_fields=["component_map"])


class Migration(migrations.Migration):
    dependencies = [("tracker", "0007_one_sided_change_class")]
    operations = [migrations.RunPython(refresh, migrations.RunPython.noop)]
