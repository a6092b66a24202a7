"""The data model: the seeded project, version ordering and column widths."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models

from analyzers import ANALYZER_VERSION
from analyzers.records import Convention, Kind, Reach, Relation, Stage
from tracker.models import Project
from tracker.versions import sort_key


@pytest.mark.django_db
def test_django_is_the_seeded_project():
    django = Project.objects.get(slug="django")
    assert django.package_dir == "django" and django.tests_dir == "tests"
    assert '"django.core.cache" = "cache"' in django.component_map
    assert django.pypi_package == "django" and django.git_url.startswith("https://")


def test_release_versions_sort_by_number_not_text():
    versions = ["6.10", "6.1.3", "6.1", "10.0", "main-2026-01-05", "6.2", "3.0"]
    assert sorted(versions, key=sort_key) == [
        "3.0",
        "6.1",
        "6.1.3",
        "6.2",
        "6.10",
        "10.0",
        "main-2026-01-05",
    ]


# Columns that hold what the analyzer emits must be wide enough on PostgreSQL,
# which (unlike SQLite) refuses a longer value when a scan finalises.
ANALYZER_ENUMS = (Convention, Kind, Reach, Relation, Stage)
# CharFields that hold no analyzer value: versions, refs, hashes, settings.
NOT_ANALYZER_VALUES = {
    "Project": {
        "slug",
        "name",
        "git_url",
        "pypi_package",
        "package_dir",
        "tests_dir",
        "release_tag_pattern",
        "min_version",
        "main_branch",
    },
    "Release": {"version", "version_key", "tag", "commit", "analyzer_version"},
    # Set by tracker/scanning/one_sided.py, not by the analyzer.
    "PairDrift": {"change_class"},
    "FileAnalysis": {"blob_sha", "analyzer_version"},
    "ReleaseFile": {"blob_sha"},
    # generated_side: a side's name ("sync", "async"), a plain str in the
    # analyzer's TwinPair, with choices of its own here.
    "TwinPairStat": {"sync_hash", "async_hash", "generated_side"},
    "Scan": {"version", "ref", "commit", "trigger", "status"},
}


def _enum_of(field):
    values = {value for value, _ in field.choices or ()}
    return next((e for e in ANALYZER_ENUMS if values == {m.value for m in e}), None)


def _char_fields():
    for model in apps.get_app_config("tracker").get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField) and not field.primary_key:
                yield model, field


def test_every_char_column_is_an_analyzer_enum_or_declared_otherwise():
    """A CharField filled from the analyzer takes `choices` (and its width)
    from the analyzer's enum; any other CharField is declared here."""
    undeclared = [
        f"{model.__name__}.{field.name}"
        for model, field in _char_fields()
        if _enum_of(field) is None
        and field.name not in NOT_ANALYZER_VALUES.get(model.__name__, ())
    ]
    assert undeclared == []
    stored = {_enum_of(field) for _, field in _char_fields()} - {None}
    assert stored == set(ANALYZER_ENUMS)


@pytest.mark.django_db
def test_every_analyzer_value_fits_its_column_in_the_migrated_database():
    """Read the widths from the database the migrations built (SQLite here,
    PostgreSQL in the services run), not from the models."""
    too_narrow = []
    with connection.cursor() as cursor:
        for model, field in _char_fields():
            enum = _enum_of(field)
            if enum is not None:
                longest = max((m.value for m in enum), key=len)
            elif field.name == "analyzer_version":
                longest = ANALYZER_VERSION
            else:
                continue
            columns = connection.introspection.get_table_description(
                cursor, model._meta.db_table
            )
            size = next(c.display_size for c in columns if c.name == field.column)
            if size is not None and len(longest) > size:
                too_narrow.append(
                    f"{model.__name__}.{field.name}: {longest!r} > {size}"
                )
    assert too_narrow == []


@pytest.mark.django_db
def test_the_migrations_match_the_models():
    """A model change without its migration (a wider enum column, say) fails."""
    out = io.StringIO()
    call_command("makemigrations", "tracker", "--check", "--dry-run", stdout=out)
