"""Which settings `python -m analyzers` and `python -m analyzers.bench` use:
the file or package given, Django's for Django, else derived from the tree,
never Django's map on another tree in silence."""

import json

import pytest

from analyzers import bench
from analyzers.cli import main

POOL = "class AsyncPool:\n    async def aclose(self):\n        await self.x()\n"
SYNC_POOL = "class Pool:\n    def close(self):\n        self.x()\n"


def tree(root, files):
    for relative, code in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code)
    return root


def components(out: str) -> list[str]:
    lines = out.split("\n\n")[0].splitlines()[1:]
    return sorted(line.split()[0] for line in lines)


HTTPLIB = {
    "httplib/__init__.py": "",
    "httplib/_async/__init__.py": "",
    "httplib/_async/pool.py": POOL,
    "httplib/_sync/__init__.py": "",
    "httplib/_sync/pool.py": SYNC_POOL,
    "httplib/_models.py": "def f():\n    pass\n",
    "docs/conf.py": "",
}


def test_another_tree_gets_its_own_derived_components(tmp_path, capsys):
    root = tree(tmp_path, HTTPLIB)
    main([str(root)])
    out = capsys.readouterr().out
    # Twin folders are one component, named after the sync side; the
    # package's own modules one named after it; nothing of Django's map.
    assert components(out) == ["_sync", "httplib", "other"]
    assert "1 twin pairs" in out


def test_the_package_folder_itself_is_a_tree(tmp_path, capsys):
    root = tree(tmp_path, HTTPLIB) / "httplib"
    main([str(root)])
    assert components(capsys.readouterr().out) == ["_sync", "httplib", "other"]


def test_a_src_layout_is_found_and_its_modules_named_without_src(tmp_path, capsys):
    """PyPA's src layout (neo4j, supabase): the one package in src/."""
    files = {f"src/{path}": code for path, code in HTTPLIB.items()}
    root = tree(tmp_path, {**files, "tests/test_pool.py": "def test_x():\n    pass\n"})
    main([str(root)])
    assert components(capsys.readouterr().out) == ["_sync", "httplib", "other"]

    main([str(root), "--json"])
    data = json.loads(capsys.readouterr().out)
    modules = {f["module"]: f["path"] for f in data["functions"]}
    assert modules["httplib._async.pool"] == "src/httplib/_async/pool.py"
    assert not [m for m in modules if m.startswith("src")]
    assert [t["tests"] for t in data["tests"]] == [1]  # tests/ beside src/
    (pair,) = [p for p in data["pairs"] if p["sync_module"]]
    assert pair["sync_module"] == "httplib._sync.pool"


def test_a_tree_with_several_packages_is_refused_until_one_is_named(tmp_path, capsys):
    root = tree(tmp_path, {**HTTPLIB, "otherlib/__init__.py": ""})
    with pytest.raises(SystemExit) as exc:
        main([str(root)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "package folders: httplib, otherlib" in err
    assert "give --package NAME or --config FILE" in err

    main([str(root), "--package", "httplib"])
    assert components(capsys.readouterr().out) == ["_sync", "httplib", "other"]


def test_a_config_file_names_the_components(tmp_path, capsys):
    root = tree(tmp_path / "src", HTTPLIB)
    config = tmp_path / "httplib.toml"
    config.write_text(
        '[project]\npackage = "httplib"\n[modules]\n"httplib._async" = "pool"\n'
        '"httplib._sync" = "pool"\n'
    )
    main([str(root), "--config", str(config)])
    assert components(capsys.readouterr().out) == ["other", "pool"]


def test_bench_takes_the_same_options_and_prints_ratios(tmp_path, capsys):
    root = tree(tmp_path, HTTPLIB)
    assert bench.main([str(root), "--package", "httplib", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "6 files" in out
    assert "ratio analysis / parse:" in out


def test_bench_on_a_package_without_files_is_one_line_not_a_division(tmp_path, capsys):
    """It crashed with ZeroDivisionError."""
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as exc:
        bench.main([str(tmp_path), "--package", "empty", "--repeat", "1"])
    assert exc.value.code == 2
    assert "no .py file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("numerator", "denominator", "shown"),
    [(1.5, 1.0, "1.50"), (0.0, 0.0, "n/a"), (2.0, 0.0, "n/a")],
)
def test_a_ratio_over_no_time_is_not_a_number(numerator, denominator, shown):
    assert bench.ratio(numerator, denominator) == shown
