"""The data model: the seeded project and version ordering."""

import pytest

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
