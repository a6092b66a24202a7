"""Results kept across finalises (`tracker.scanning.kept_results`) change no
figure: a release written from kept results has the rows of one written from
the database alone."""

import pytest
from repo_builder import demo_project, make_repo

from tracker.models import (
    ComponentStat,
    FunctionStat,
    PairDrift,
    Release,
    ReleaseFile,
    Scan,
    SuiteStat,
    TwinPairStat,
)
from tracker.scanning import kept_results, requests

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = (ReleaseFile, ComponentStat, FunctionStat, TwinPairStat, SuiteStat, PairDrift)


@pytest.fixture
def project(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    return demo_project(make_repo(tmp_path / "upstream"))


def release_rows(version: str) -> dict[str, list]:
    """Every row of the release in every table, without ids (a drift's
    previous release by its version), in one order."""
    release = Release.objects.get(version=version)
    named = dict(Release.objects.values_list("pk", "version"))
    found = {}
    for model in TABLES:
        values = model.objects.filter(release=release).values()
        found[model.__name__] = sorted(
            (
                {
                    k: named.get(v) if k == "previous_id" else v
                    for k, v in row.items()
                    if k not in {"id", "release_id"}
                }
                for row in values
            ),
            key=repr,
        )
    return found


def scan(project, versions, **kwargs):
    targets = [requests.Target(version=v, ref=v) for v in versions]
    scans = requests.scans_request(project=project, targets=targets, **kwargs)
    for each in scans:
        each.refresh_from_db()
        assert each.status == Scan.Status.DONE, each.error


def test_releases_written_from_kept_results_equal_those_from_the_database(
    project, monkeypatch
):
    """1.1 and 1.2, finalised after 1.0 with most of their results kept, have
    the same rows as when each is finalised with nothing kept; a forced
    re-scan rebuilds no result from the database."""
    versions = ("1.0", "1.1", "1.2")
    scan(project, versions)
    kept = {version: release_rows(version) for version in versions}
    assert kept["1.1"]["FunctionStat"] and kept["1.1"]["PairDrift"]

    rebuilt = []
    real = kept_results.file_result_from_json
    monkeypatch.setattr(
        kept_results,
        "file_result_from_json",
        lambda data: rebuilt.append(data["path"]) or real(data),
    )
    scan(project, ["1.2"], force=True)
    assert rebuilt == []  # every result of 1.2 was kept
    assert release_rows("1.2") == kept["1.2"]

    for version in versions:
        kept_results.forget()
        rebuilt.clear()
        scan(project, [version], force=True)
        assert len(rebuilt) == Release.objects.get(version=version).files
        assert release_rows(version) == kept[version]
