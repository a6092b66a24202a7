"""Release versions: ordering, feature or point release, series."""

import re

import pytest

from tracker import versions


def test_pre_releases_sort_before_the_release_and_point_releases_after():
    ordered = ["5.0a1", "5.0b2", "5.0rc1", "5.0", "5.0.1", "5.0.10", "5.1"]
    assert sorted(reversed(ordered), key=versions.sort_key) == ordered


def test_snapshots_of_main_sort_after_every_release():
    names = ["main-2026-11-23", "10.0", "main-2026-11-16", "6.1"]
    assert sorted(names, key=versions.sort_key) == [
        "6.1",
        "10.0",
        "main-2026-11-16",
        "main-2026-11-23",
    ]


@pytest.mark.parametrize(
    ("version", "feature", "series"),
    [("5.2", True, "5.2"), ("5.2.0", True, "5.2"), ("5.2.19", False, "5.2")],
)
def test_feature_and_point_releases(version, feature, series):
    assert versions.is_feature(version) is feature
    assert versions.series(version) == series


@pytest.mark.parametrize(
    "bad",
    [
        "abc",
        "",
        "../../x",
        "1.0; rm -rf",
        "1.0+local",
        "1" * 5000,  # int() refuses it with a ValueError of its own
        "1.1234567",  # sort_key's numbers have six digits
        "1.0rc1234567",
        "1." + "0" * 40,  # wider than the version columns
    ],
)
def test_a_bad_version_is_a_clear_error(bad):
    with pytest.raises(versions.VersionError, match="is not a release version") as e:
        versions.sort_key(bad)
    assert len(str(e.value)) < 100


def test_the_widest_numbers_still_sort():
    assert versions.sort_key("999999.0") > versions.sort_key("99999.999999")


@pytest.mark.parametrize(
    ("tag", "release"),
    [
        ("1.0", True),
        ("3.3.9", True),
        ("2024.1.15", True),
        ("1.0.0.1", True),
        ("1.0.post1", True),
        ("v1.0.9", True),
        ("1.0rc1", False),  # not final
        ("1.0.dev3", False),
        ("1", False),
        ("1.0.0.0.0", False),
        ("release-1.0", False),
        ("-1.0", False),
    ],
)
def test_any_projects_release_tags_are_pep_440_final_releases(tag, release):
    """The tag pattern of a project added with add_project."""
    assert bool(re.fullmatch(versions.ANY_RELEASE_PATTERN, tag)) is release


def test_a_v_tag_sorts_as_its_version():
    assert versions.sort_key("v1.0.9") == versions.sort_key("1.0.9")
    assert versions.sort_key("1.0.8") < versions.sort_key("v1.0.9")
    assert versions.sort_key("1.0.9") < versions.sort_key("1.0.9.post1")
    assert versions.is_feature("v1.0") and not versions.is_feature("v1.0.9")
