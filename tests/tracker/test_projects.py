"""Projects as data: `add_project`, the admin's form, and one project's
failure in the weekly job stopping no other."""

import shutil

import pytest
from django.core.management import CommandError, call_command
from repo_builder import RELEASES, make_repo

from tracker.admin import ProjectForm
from tracker.models import Project, Release, Scan
from tracker.scanning import beat

pytestmark = pytest.mark.django_db(transaction=True)


def add(*args):
    call_command("add_project", *args)
    return Project.objects.get(slug=args[0].lower())


def test_add_project_from_pypi_keeps_its_settings(capsys):
    """The slug is the name lower-cased, the package folder the PyPI name,
    releases from --since on, tags of any PEP 440 final release."""
    project = add("HTTPCore", "--pypi", "httpcore", "--since", "1.0")
    assert (project.slug, project.name) == ("httpcore", "HTTPCore")
    assert (project.pypi_package, project.git_url) == ("httpcore", "")
    assert (project.package_dir, project.tests_dir) == ("httpcore", "tests")
    assert project.min_version == "1.0" and project.component_map == ""
    assert "import_releases --project httpcore" in capsys.readouterr().out


def test_add_project_reads_its_settings_file(tmp_path):
    settings = tmp_path / "psycopg.toml"
    settings.write_text('[project]\npackage = "psycopg"\ntests = "tests"\n')
    project = add("psycopg", "--pypi", "psycopg", "--config", str(settings))
    assert project.component_map == settings.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--git=-uhttps://example.org/x"], "--git: '-uhttps"),
        (["x", "--git", "ext::sh -c touch% /tmp/pwned"], "--git: "),
        (["x", "--git", "http://example.org/x.git"], "--git: "),
        (["x", "--git", "https://u:pw@example.org/x.git"], "--git: .* credentials"),
        (["x", "--pypi=--index-url=http://evil"], "--pypi: "),
        (["x", "--pypi", "x", "--since", "yesterday"], "--since: 'yesterday'"),
        (["x", "--pypi", "x", "--package-dir", "../etc"], "--package-dir: '../etc'"),
        (["bad slug", "--pypi", "x"], "NAME: 'bad slug'"),
    ],
)
def test_add_project_refuses_a_bad_value_naming_it(args, message):
    with pytest.raises(CommandError, match="^" + message):
        call_command("add_project", *args)
    assert not Project.objects.filter(slug=args[0]).exists()


def test_add_project_refuses_bad_settings_naming_the_option(tmp_path):
    settings = tmp_path / "bad.toml"
    settings.write_text("[project\n")
    with pytest.raises(CommandError, match="^--config: "):
        call_command("add_project", "x", "--pypi", "x", "--config", str(settings))
    settings.write_text("[project]\npackage = 3\n")
    with pytest.raises(CommandError, match="^--config: .*(package|tests)"):
        call_command("add_project", "x", "--pypi", "x", "--config", str(settings))


def test_add_project_twice_is_refused():
    add("httpcore", "--pypi", "httpcore")
    with pytest.raises(CommandError, match="already"):
        call_command("add_project", "HttpCore", "--pypi", "httpcore")
    assert Project.objects.filter(slug="httpcore").count() == 1


def test_add_project_exists_ok_leaves_the_project_as_it_is(capsys):
    add("httpcore", "--pypi", "httpcore", "--since", "1.0")
    call_command("add_project", "httpcore", "--pypi", "other", "--exists-ok")
    assert Project.objects.get(slug="httpcore").pypi_package == "httpcore"
    assert "tracked already" in capsys.readouterr().out


def test_add_project_needs_exactly_one_source():
    with pytest.raises(CommandError):
        call_command("add_project", "x")
    with pytest.raises(CommandError):
        call_command("add_project", "x", "--pypi", "x", "--git", "/tmp")


def test_the_admin_form_runs_the_same_checks():
    data = {
        "slug": "x",
        "name": "X",
        "git_url": "-uhttps://example.org/x",
        "pypi_package": "",
        "package_dir": "x",
        "tests_dir": "tests",
        "component_map": "[project\n",
        "release_tag_pattern": "[0-9",
        "min_version": "1.0",
        "main_branch": "main",
    }
    form = ProjectForm(data)
    assert not form.is_valid()
    assert {"git_url", "component_map", "release_tag_pattern"} <= set(form.errors)
    fixed = {"git_url": "", "pypi_package": "x", "component_map": ""}
    good = ProjectForm({**data, **fixed, "release_tag_pattern": "[0-9.]+"})
    assert good.is_valid(), good.errors


def test_the_admin_lists_projects_releases_and_scans(admin_client):
    add("httpcore", "--pypi", "httpcore")
    for page in ("project", "release", "scan"):
        assert admin_client.get(f"/admin/tracker/{page}/").status_code == 200
    assert b"httpcore" in admin_client.get("/admin/tracker/project/").content


def test_a_git_project_is_cloned_and_scanned(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    repo = make_repo(tmp_path / "upstream")
    add("demo", "--git", str(repo), "--package-dir", "pkg", "--since", "1.1")
    call_command("import_releases", project="demo")
    call_command("scan", "--all", project="demo")
    assert list(Release.objects.values_list("version", flat=True)) == ["1.1", "1.2"]


def test_a_src_layout_project_is_scanned_with_its_modules_named_from_the_package(
    tmp_path, settings
):
    """The package in src/ (PyPA's src layout): --package-dir src/pkg; files
    keep their paths, modules are named from the package down. Left at the
    flat default, the scan fails saying where the package may be."""
    settings.DATA_DIR = tmp_path / "data"
    releases = {
        tag: {f"src/{path}": code for path, code in files.items()}
        for tag, files in RELEASES.items()
    }
    repo = make_repo(tmp_path / "upstream", releases)
    add("srclib", "--git", str(repo), "--package-dir", "src/pkg", "--since", "1.2")
    call_command("import_releases", project="srclib")
    call_command("scan", "--all", project="srclib")
    release = Release.objects.get(project__slug="srclib", version="1.2")
    modules = dict(release.functionstat_set.values_list("path", "module").distinct())
    assert modules["src/pkg/cache.py"] == "pkg.cache"
    assert not [m for m in modules.values() if m.startswith("src")]

    add("flat", "--git", str(repo), "--package-dir", "pkg", "--since", "1.2")
    call_command("import_releases", project="flat")
    with pytest.raises(CommandError, match="some scans failed"):
        call_command("scan", "--all", project="flat")
    (scan,) = Scan.objects.filter(project__slug="flat", version="1.2")
    assert scan.status == Scan.Status.FAILED
    assert "no .py file under pkg/ at 1.2" in scan.error
    assert "in a src layout it is src/pkg" in scan.error
    assert not Release.objects.filter(project__slug="flat").exists()


def test_one_projects_failure_stops_no_other_in_the_weekly_job(
    tmp_path, settings, caplog
):
    """A project whose upstream is gone is logged; the next one is scanned."""
    settings.DATA_DIR = tmp_path / "data"
    Project.objects.all().delete()
    gone = make_repo(tmp_path / "gone")
    add("aaa-gone", "--git", str(gone), "--package-dir", "pkg")
    shutil.rmtree(gone)
    add("demo", "--git", str(make_repo(tmp_path / "upstream")), "--package-dir", "pkg")
    assert beat.weekly_scan() == 4  # three releases and main of demo
    assert "weekly scan of aaa-gone failed" in caplog.text
    done = Scan.objects.filter(project__slug="demo", status=Scan.Status.DONE)
    assert done.count() == 4
    assert not Scan.objects.filter(project__slug="aaa-gone").exists()
